package tracegraph.neo4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Neo4j Community with Bolt on one loopback address, for tests and for a person without Docker.
 *
 * <p>Arguments (all optional): --data DIR (default: a new temporary folder, deleted on exit unless
 * --keep), --host 127.0.0.1, --port 7687, --password tracegraph, --keep, --page-cache-mb 512,
 * --heap is set by the JVM flags of the caller. Prints "READY bolt://HOST:PORT" once Bolt
 * answers, and stops cleanly on SIGTERM.
 */
public final class Server {
    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 7687;
        String password = "tracegraph";
        long pageCacheMb = 512;
        Path data = null;
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--password" -> password = args[++i];
                case "--data" -> data = Path.of(args[++i]);
                case "--page-cache-mb" -> pageCacheMb = Long.parseLong(args[++i]);
                case "--keep" -> keep = true;
                default -> {
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        boolean throwaway = data == null;
        if (throwaway) {
            data = Files.createTempDirectory("tracegraph-neo4j-");
        }
        final Path home = data;
        final boolean delete = throwaway && !keep;

        boolean restart = Files.isDirectory(home.resolve("data"));
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCacheMb * 1024 * 1024)
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(10))
                .build();
        try {
            dbms.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $p CHANGE NOT REQUIRED", Map.of("p", password));
        } catch (RuntimeException e) {
            if (!restart) { // on a restart the password was set before and may not be set to itself
                System.err.println("cannot set the password: " + e.getMessage());
                dbms.shutdown();
                System.exit(1);
            }
        }

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            if (delete) {
                deleteTree(home);
            }
        }));
        System.out.println("READY bolt://" + host + ":" + port + " data=" + home);
        System.out.flush();
        Thread.currentThread().join();
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception e) {
            System.err.println("could not delete " + root + ": " + e.getMessage());
        }
    }
}
