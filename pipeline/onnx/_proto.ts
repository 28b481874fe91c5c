/**
 * The subset of `onnx.proto` (ONNX IR) the exporter writes, as a protobufjs
 * reflection descriptor. Field numbers are those of onnx/onnx.proto.
 *
 * @module
 */
import protobuf from "protobufjs";

const rep = (type: string, id: number) => ({ rule: "repeated", type, id });

/** protobufjs JSON descriptor of the ONNX messages used here. */
export const ONNX_PROTO_JSON = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            s: { type: "bytes", id: 4 },
            t: { type: "TensorProto", id: 5 },
            g: { type: "GraphProto", id: 6 },
            floats: rep("float", 7),
            ints: rep("int64", 8),
            strings: rep("bytes", 9),
            tensors: rep("TensorProto", 10),
            graphs: rep("GraphProto", 11),
            doc_string: { type: "string", id: 13 },
            type: { type: "AttributeType", id: 20 },
            ref_attr_name: { type: "string", id: 21 },
          },
          nested: {
            AttributeType: {
              values: {
                UNDEFINED: 0,
                FLOAT: 1,
                INT: 2,
                STRING: 3,
                TENSOR: 4,
                GRAPH: 5,
                FLOATS: 6,
                INTS: 7,
                STRINGS: 8,
                TENSORS: 9,
                GRAPHS: 10,
              },
            },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: "string", id: 1 },
            type: { type: "TypeProto", id: 2 },
            doc_string: { type: "string", id: 3 },
          },
        },
        NodeProto: {
          fields: {
            input: rep("string", 1),
            output: rep("string", 2),
            name: { type: "string", id: 3 },
            op_type: { type: "string", id: 4 },
            attribute: rep("AttributeProto", 5),
            doc_string: { type: "string", id: 6 },
            domain: { type: "string", id: 7 },
          },
        },
        StringStringEntryProto: {
          fields: { key: { type: "string", id: 1 }, value: { type: "string", id: 2 } },
        },
        ModelProto: {
          fields: {
            ir_version: { type: "int64", id: 1 },
            producer_name: { type: "string", id: 2 },
            producer_version: { type: "string", id: 3 },
            domain: { type: "string", id: 4 },
            model_version: { type: "int64", id: 5 },
            doc_string: { type: "string", id: 6 },
            graph: { type: "GraphProto", id: 7 },
            opset_import: rep("OperatorSetIdProto", 8),
            metadata_props: rep("StringStringEntryProto", 14),
          },
        },
        GraphProto: {
          fields: {
            node: rep("NodeProto", 1),
            name: { type: "string", id: 2 },
            initializer: rep("TensorProto", 5),
            doc_string: { type: "string", id: 10 },
            input: rep("ValueInfoProto", 11),
            output: rep("ValueInfoProto", 12),
            value_info: rep("ValueInfoProto", 13),
          },
        },
        TensorProto: {
          fields: {
            dims: rep("int64", 1),
            data_type: { type: "int32", id: 2 },
            float_data: rep("float", 4),
            int32_data: rep("int32", 5),
            string_data: rep("bytes", 6),
            int64_data: rep("int64", 7),
            name: { type: "string", id: 8 },
            raw_data: { type: "bytes", id: 9 },
            double_data: rep("double", 10),
            doc_string: { type: "string", id: 12 },
          },
          nested: {
            DataType: {
              values: {
                UNDEFINED: 0,
                FLOAT: 1,
                UINT8: 2,
                INT8: 3,
                INT32: 6,
                INT64: 7,
                STRING: 8,
                BOOL: 9,
                DOUBLE: 11,
              },
            },
          },
        },
        TensorShapeProto: {
          fields: { dim: rep("Dimension", 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ["dim_value", "dim_param"] } },
              fields: {
                dim_value: { type: "int64", id: 1 },
                dim_param: { type: "string", id: 2 },
                denotation: { type: "string", id: 3 },
              },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ["tensor_type"] } },
          fields: {
            tensor_type: { type: "Tensor", id: 1 },
            denotation: { type: "string", id: 6 },
          },
          nested: {
            Tensor: {
              fields: {
                elem_type: { type: "int32", id: 1 },
                shape: { type: "TensorShapeProto", id: 2 },
              },
            },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } },
        },
      },
    },
  },
};

let root: protobuf.Root | undefined;

/** The `onnx.ModelProto` message type (built on first use, not at import). */
export function modelProtoType(): protobuf.Type {
  root ??= protobuf.Root.fromJSON(ONNX_PROTO_JSON);
  return root.lookupType("onnx.ModelProto");
}

/** ONNX tensor element types used here. */
export const ELEM = { FLOAT: 1, INT64: 7 } as const;

/** ONNX attribute types used here. */
export const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;
