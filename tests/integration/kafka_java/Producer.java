// The official Apache Kafka Java producer, configured the way upstream
// services run it, as a single-file program (Java 17, the broker's own
// kafka-clients jar):
//
//   java -cp 'deploy/kafka/libs/*' tests/integration/kafka_java/Producer.java \
//     <bootstrap> <topic> <compression.type>[,<compression.type>...] < records.tsv
//
// stdin: one record per line, `key<TAB>value`. One producer per compression
// type; line i goes through producer i mod n, so every codec's batches land
// on every partition. Each record gets a `trace-id` header. Idempotent,
// acks=all, batches lingered so they hold many records. Prints `sent <n>`
// once every record is acknowledged.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

public class Producer {
  public static void main(String[] args) throws Exception {
    String[] codecs = args[2].split(",");
    List<KafkaProducer<String, String>> producers = new ArrayList<>();
    for (String codec : codecs) producers.add(new KafkaProducer<>(config(args[0], codec)));
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    String line;
    int n = 0;
    while ((line = in.readLine()) != null) {
      int tab = line.indexOf('\t');
      ProducerRecord<String, String> record =
          new ProducerRecord<>(args[1], line.substring(0, tab), line.substring(tab + 1));
      record.headers().add("trace-id", ("t-" + n).getBytes(StandardCharsets.UTF_8));
      sent.add(producers.get(n % codecs.length).send(record));
      n++;
    }
    for (KafkaProducer<String, String> p : producers) p.flush();
    for (Future<RecordMetadata> f : sent) f.get();
    for (KafkaProducer<String, String> p : producers) p.close();
    System.out.println("sent " + sent.size());
  }

  static Properties config(String bootstrap, String codec) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return props;
  }
}
