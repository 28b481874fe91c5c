"""Runs every operation of the official Open Inference Protocol v2 clients
(tritonclient[http]: sync, async_infer and aio; kserve's InferenceRESTClient)
against a running edge, in JSON and binary modes, and prints what each one
returned or raised as one JSON document on stdout. It asserts nothing: the
Deno test (tests/integration/v2_clients_test.ts) compares the observations
with what the edge's own /predict/batch and error bodies say.

Input (stdin, JSON): {"url": "http://127.0.0.1:port", "model": "...",
"version": "1", "input": "input", "features": [...], "rows": [[...], ...]}.
"""

import asyncio
import json
import sys
import traceback

import numpy as np


def describe(e):
    """The type, message and HTTP status of a client exception."""
    status = None
    if hasattr(e, "status") and callable(e.status):
        status = e.status()
    elif getattr(e, "response", None) is not None:
        status = e.response.status_code
    message = e.message() if hasattr(e, "message") and callable(e.message) else str(e)
    return {
        "type": type(e).__name__,
        "message": message,
        "status": None if status is None else str(status),
        "trace": None if status else traceback.format_exc(limit=4),
    }


def outcome(fn):
    """Runs fn; returns {"result": ...} or {"error": {type, message, status}}."""
    try:
        return {"result": fn()}
    except Exception as e:  # the exception is the observation
        return {"error": describe(e)}


async def outcome_async(fn):
    try:
        return {"result": await fn()}
    except Exception as e:
        return {"error": describe(e)}


# --- tritonclient ----------------------------------------------------------------


def triton_result(result):
    response = result.get_response()
    binary = [
        o["name"]
        for o in response["outputs"]
        if "binary_data_size" in (o.get("parameters") or {})
    ]
    out = {
        "model_name": response.get("model_name"),
        "model_version": response.get("model_version"),
        "id": response.get("id"),
        "parameters": response.get("parameters"),
        "outputs": [o["name"] for o in response["outputs"]],
        "binary_outputs": binary,
    }
    for name in out["outputs"]:
        value = result.as_numpy(name)
        out[name] = {"dtype": str(value.dtype), "shape": list(value.shape), "values": value.ravel().tolist()}
    return out


def triton_inputs(tc, spec, rows, binary, per_feature=False, name=None, dtype=np.float32):
    if per_feature:
        inputs = []
        for i, feature in enumerate(spec["features"]):
            inp = tc.InferInput(feature, [rows.shape[0]], "FP32")
            inp.set_data_from_numpy(rows[:, i].copy(), binary_data=binary)
            inputs.append(inp)
        return inputs
    data = rows.astype(dtype)
    datatype = {np.float32: "FP32", np.float64: "FP64"}[dtype]
    inp = tc.InferInput(name or spec["input"], list(data.shape), datatype)
    inp.set_data_from_numpy(data, binary_data=binary)
    return [inp]


def triton_outputs(tc, mode):
    if mode == "default":  # no outputs named: the client asks all of them in binary
        return None
    if mode == "subset_json":
        return [tc.InferRequestedOutput("probabilities", binary_data=False)]
    if mode == "subset_binary":
        return [tc.InferRequestedOutput("probabilities", binary_data=True)]
    binary = mode == "binary"
    return [
        tc.InferRequestedOutput("label", binary_data=binary),
        tc.InferRequestedOutput("probabilities", binary_data=binary),
    ]


OUTPUT_MODES = ["default", "json", "binary", "subset_json", "subset_binary"]


def run_triton(spec, rows):
    import tritonclient.http as tc

    host = spec["url"].removeprefix("http://")
    client = tc.InferenceServerClient(url=host)
    model, version = spec["model"], spec["version"]
    obs = {
        "is_server_live": outcome(client.is_server_live),
        "is_server_ready": outcome(client.is_server_ready),
        "get_server_metadata": outcome(client.get_server_metadata),
        "is_model_ready": outcome(lambda: client.is_model_ready(model)),
        "is_model_ready_version": outcome(lambda: client.is_model_ready(model, version)),
        "is_model_ready_unknown": outcome(lambda: client.is_model_ready("no_such_model")),
        "get_model_metadata": outcome(lambda: client.get_model_metadata(model)),
        "get_model_metadata_version": outcome(lambda: client.get_model_metadata(model, version)),
        "get_model_config": outcome(lambda: client.get_model_config(model)),
        "get_model_config_version": outcome(lambda: client.get_model_config(model, version)),
    }
    infer = {}
    for binary_in in (False, True):
        for mode in OUTPUT_MODES:
            key = f"{'binary' if binary_in else 'json'}_in/{mode}_out"
            infer[key] = outcome(
                lambda: triton_result(
                    client.infer(
                        model,
                        triton_inputs(tc, spec, rows, binary_in),
                        outputs=triton_outputs(tc, mode),
                        request_id=f"triton-{key}",
                        parameters={"custom": key},
                    )
                )
            )
        tag = "binary_in" if binary_in else "json_in"
        infer[f"{tag}/version"] = outcome(
            lambda: triton_result(
                client.infer(model, triton_inputs(tc, spec, rows, binary_in), model_version=version)
            )
        )
        infer[f"{tag}/per_feature"] = outcome(
            lambda: triton_result(
                client.infer(model, triton_inputs(tc, spec, rows, binary_in, per_feature=True))
            )
        )
        for algorithm in ("gzip", "deflate"):
            for mode in ("default", "json"):
                infer[f"{tag}/{algorithm}/{mode}_out"] = outcome(
                    lambda: triton_result(
                        client.infer(
                            model,
                            triton_inputs(tc, spec, rows, binary_in),
                            outputs=triton_outputs(tc, mode),
                            request_compression_algorithm=algorithm,
                            response_compression_algorithm=algorithm,
                        )
                    )
                )
        infer[f"{tag}/async_infer"] = outcome(
            lambda: triton_result(
                client.async_infer(model, triton_inputs(tc, spec, rows, binary_in)).get_result()
            )
        )
    obs["infer"] = infer
    errors = {}
    for binary_in in (False, True):
        tag = "binary" if binary_in else "json"
        errors[f"{tag}/unknown_model"] = outcome(
            lambda: client.infer("no_such_model", triton_inputs(tc, spec, rows, binary_in))
        )
        errors[f"{tag}/wrong_input_name"] = outcome(
            lambda: client.infer(model, triton_inputs(tc, spec, rows, binary_in, name="wrong_input"))
        )
        errors[f"{tag}/wrong_shape"] = outcome(
            lambda: client.infer(model, triton_inputs(tc, spec, rows[:, :-1].copy(), binary_in))
        )
        errors[f"{tag}/wrong_datatype"] = outcome(
            lambda: client.infer(model, triton_inputs(tc, spec, rows, binary_in, dtype=np.float64))
        )
    errors["unknown_model_metadata"] = outcome(lambda: client.get_model_metadata("no_such_model"))
    errors["unknown_version_config"] = outcome(lambda: client.get_model_config(model, "999"))
    obs["errors"] = errors
    client.close()
    return obs


async def run_triton_aio(spec, rows):
    import tritonclient.http as tc
    import tritonclient.http.aio as aio

    client = aio.InferenceServerClient(url=spec["url"].removeprefix("http://"))
    model = spec["model"]
    try:
        obs = {
            "is_server_live": await outcome_async(client.is_server_live),
            "is_model_ready": await outcome_async(lambda: client.is_model_ready(model)),
            "get_server_metadata": await outcome_async(client.get_server_metadata),
            "get_model_metadata": await outcome_async(lambda: client.get_model_metadata(model)),
            "get_model_config": await outcome_async(lambda: client.get_model_config(model)),
        }
        infer = {}
        for binary_in in (False, True):
            for mode in ("default", "json", "binary"):
                key = f"{'binary' if binary_in else 'json'}_in/{mode}_out"

                async def call():
                    result = await client.infer(
                        model,
                        triton_inputs(tc, spec, rows, binary_in),
                        outputs=triton_outputs(tc, mode),
                    )
                    return triton_result(result)

                infer[key] = await outcome_async(call)
        obs["infer"] = infer
        obs["errors"] = {
            "wrong_input_name": await outcome_async(
                lambda: client.infer(model, triton_inputs(tc, spec, rows, True, name="wrong_input"))
            )
        }
        return obs
    finally:
        await client.close()


# --- kserve ----------------------------------------------------------------------


def kserve_result(response):
    out = {
        "model_name": response.model_name,
        "id": response.id,
        "parameters": response.parameters,
        "outputs": [o.name for o in response.outputs],
    }
    for o in response.outputs:
        value = o.as_numpy()
        out[o.name] = {"dtype": str(value.dtype), "shape": list(value.shape), "values": value.ravel().tolist()}
    return out


def kserve_request(kserve, spec, rows, binary, binary_out=False, outputs=None, name=None, dtype=np.float32):
    data = rows.astype(dtype)
    datatype = {np.float32: "FP32", np.float64: "FP64"}[dtype]
    inp = kserve.InferInput(name or spec["input"], list(data.shape), datatype)
    if binary:
        inp.set_data_from_numpy(data, binary_data=True)
    else:
        inp.set_data_from_numpy(data, binary_data=False)
    params = {"custom": "kserve"}
    if binary_out:
        params["binary_data_output"] = True
    from kserve.protocol.infer_type import RequestedOutput

    requested = [RequestedOutput(o) for o in outputs] if outputs else None
    return kserve.InferRequest(
        model_name=spec["model"],
        infer_inputs=[inp],
        request_id=f"kserve-{'binary' if binary else 'json'}",
        parameters=params,
        request_outputs=requested,
    )


async def run_kserve(spec, rows):
    import kserve

    config = kserve.RESTConfig(protocol="v2", retries=0, timeout=30)
    client = kserve.InferenceRESTClient(config)
    base, model = spec["url"], spec["model"]
    try:
        obs = {
            "is_server_live": await outcome_async(lambda: client.is_server_live(base)),
            "is_server_ready": await outcome_async(lambda: client.is_server_ready(base)),
            "is_model_ready": await outcome_async(lambda: client.is_model_ready(base, model)),
            "is_model_ready_unknown": await outcome_async(
                lambda: client.is_model_ready(base, "no_such_model")
            ),
        }
        infer = {}
        for binary_in in (False, True):
            for binary_out in (False, True):
                key = f"{'binary' if binary_in else 'json'}_in/{'binary' if binary_out else 'json'}_out"

                async def call():
                    req = kserve_request(kserve, spec, rows, binary_in, binary_out)
                    return kserve_result(await client.infer(base, req, model_name=model))

                infer[key] = await outcome_async(call)

            async def subset():
                req = kserve_request(kserve, spec, rows, binary_in, outputs=["probabilities"])
                return kserve_result(await client.infer(base, req, model_name=model))

            infer[f"{'binary' if binary_in else 'json'}_in/subset"] = await outcome_async(subset)

        async def as_dict():
            body = {
                "inputs": [
                    {
                        "name": spec["input"],
                        "shape": list(rows.shape),
                        "datatype": "FP32",
                        "data": rows.ravel().tolist(),
                    }
                ]
            }
            return kserve_result(await client.infer(base, body, model_name=model))

        infer["dict_in/json_out"] = await outcome_async(as_dict)
        obs["infer"] = infer
        errors = {}
        for binary_in in (False, True):
            tag = "binary" if binary_in else "json"

            async def unknown_model():
                req = kserve_request(kserve, spec, rows, binary_in)
                return await client.infer(base, req, model_name="no_such_model")

            async def wrong_name():
                req = kserve_request(kserve, spec, rows, binary_in, name="wrong_input")
                return await client.infer(base, req, model_name=model)

            async def wrong_shape():
                req = kserve_request(kserve, spec, rows[:, :-1].copy(), binary_in)
                return await client.infer(base, req, model_name=model)

            async def wrong_datatype():
                req = kserve_request(kserve, spec, rows, binary_in, dtype=np.float64)
                return await client.infer(base, req, model_name=model)

            errors[f"{tag}/unknown_model"] = await outcome_async(unknown_model)
            errors[f"{tag}/wrong_input_name"] = await outcome_async(wrong_name)
            errors[f"{tag}/wrong_shape"] = await outcome_async(wrong_shape)
            errors[f"{tag}/wrong_datatype"] = await outcome_async(wrong_datatype)
        obs["errors"] = errors
        return obs
    finally:
        await client.close()


def main():
    spec = json.load(sys.stdin)
    rows = np.array(spec["rows"], dtype=np.float32)
    report = {
        "triton": run_triton(spec, rows),
        "triton_aio": asyncio.run(run_triton_aio(spec, rows)),
        "kserve": asyncio.run(run_kserve(spec, rows)),
    }
    json.dump(report, sys.stdout, default=str)


if __name__ == "__main__":
    main()
