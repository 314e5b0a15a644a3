import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The smallest runner of shop-windows.sql: replaces each ${NAME} by the environment variable
 * NAME, creates the output topic if it is missing (the local broker does not create topics on
 * first use), runs the statements in order on a local MiniCluster (a TableEnvironment in
 * streaming mode, started in this JVM) and waits until the INSERT job ends, which it does by
 * itself once the bounded Kafka sources have read what the topics held when it started.
 *
 * Usage: java -cp CLASSPATH ShopWindows shop-windows.sql
 */
public final class ShopWindows {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z_]+)\\}");
    /** SET 'key' = 'value': the SQL client's statement, which TableEnvironment does not run. */
    private static final Pattern SET = Pattern.compile("(?is)SET\\s+'([^']+)'\\s*=\\s*'([^']*)'");

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            fail("usage: ShopWindows SQL_FILE");
        }
        List<String> statements = statements(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8));
        createTopicIfMissing(System.getenv("BOOTSTRAP"), System.getenv("OUTPUT_TOPIC"));

        Configuration config = new Configuration();
        // One task per operator: the job is small, and the machine has few cores.
        config.setString("parallelism.default", "1");
        TableEnvironment tables = TableEnvironment.create(
                EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(config).build());
        long started = System.nanoTime();
        for (String statement : statements) {
            statement = substitute(statement, System.getenv());
            Matcher set = SET.matcher(statement);
            if (set.matches()) {
                tables.getConfig().getConfiguration().setString(set.group(1), set.group(2));
                continue;
            }
            TableResult result = tables.executeSql(statement);
            if (result.getJobClient().isPresent()) {
                System.err.printf("flink-sql: job %s running (%s)%n",
                        result.getJobClient().get().getJobID(), firstLine(statement));
                // An INSERT runs as a job; its sources are bounded, so it finishes.
                result.await();
                System.err.printf("flink-sql: job finished in %.1f s%n", (System.nanoTime() - started) / 1e9);
            }
        }
    }

    /** Replaces each ${NAME} by the value of NAME; every placeholder must be set. */
    static String substitute(String text, Map<String, String> values) {
        Matcher matcher = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String value = values.get(matcher.group(1));
            if (value == null || value.isEmpty()) {
                fail(matcher.group(1) + " is not set (a placeholder of the SQL file)");
            }
            // A quote would end the SQL string the value stands in.
            if (value.contains("'")) {
                fail(matcher.group(1) + " must not contain a quote: " + value);
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    /** The statements: comment lines dropped, each ending with ';' at the end of a line. */
    static List<String> statements(String sql) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : sql.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--")) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String statement = current.toString().strip();
                statements.add(statement.substring(0, statement.length() - 1));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            fail("the SQL file ends with a statement without ';'");
        }
        return statements;
    }

    static void createTopicIfMissing(String bootstrap, String topic) throws Exception {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(properties)) {
            // One partition: the windows stay in the order Flink wrote them.
            admin.createTopics(List.of(new NewTopic(topic, java.util.Optional.of(1), java.util.Optional.empty())))
                    .all().get();
            System.err.printf("flink-sql: created topic %s%n", topic);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    private static String firstLine(String statement) {
        return statement.lines().findFirst().orElse("").strip();
    }

    private static void fail(String message) {
        System.err.println("flink-sql: error: " + message);
        System.exit(2);
    }
}
