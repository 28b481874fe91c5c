// The official Apache Kafka Java consumer as a single-file program (Java 17,
// the broker's own kafka-clients jar): reads each topic from the beginning
// until it has `count` records, then prints `<topic> <records> <sha-256 of
// the values joined by newlines>`. Proves that batches written by another
// producer decode in the reference client.
//
//   java -cp 'deploy/kafka/libs/*' tests/integration/kafka_java/Consumer.java \
//     <bootstrap> <count> <topic>...

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

public class Consumer {
  public static void main(String[] args) throws Exception {
    int count = Integer.parseInt(args[1]);
    for (int t = 2; t < args.length; t++) {
      Properties props = new Properties();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
      props.put(ConsumerConfig.GROUP_ID_CONFIG, "java-check-" + args[t]);
      props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      int seen = 0;
      long deadline = System.currentTimeMillis() + 60_000;
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
        consumer.subscribe(List.of(args[t]));
        while (seen < count && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
            if (seen > 0) sha.update((byte) '\n');
            sha.update(r.value().getBytes(StandardCharsets.UTF_8));
            seen++;
          }
        }
      }
      System.out.println(args[t] + " " + seen + " " + HexFormat.of().formatHex(sha.digest()));
    }
  }
}
