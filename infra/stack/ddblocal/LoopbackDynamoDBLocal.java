import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;

/**
 * Starts DynamoDB Local (tested with 1.25.1) listening on 127.0.0.1 only.
 *
 * <p>DynamoDB Local has no bind-address option, and its Jetty connector listens
 * on every interface. This launcher builds the server from the usual DynamoDB
 * Local arguments (for example {@code -inMemory -sharedDb -port 8000}, or
 * {@code -dbPath DIR} in place of {@code -inMemory}), sets the host of every
 * Jetty connector to 127.0.0.1 through the private {@code server} field of
 * {@code DynamoDBProxyServer}, and only then starts it. It always adds
 * {@code -disableTelemetry}.
 *
 * <p>Exit status: 2 for invalid arguments, 1 when the server cannot be
 * bound to loopback or fails to start, for example because the port is taken.
 */
public final class LoopbackDynamoDBLocal {
    private static final String HOST = "127.0.0.1";

    private LoopbackDynamoDBLocal() {}

    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy;
        try {
            proxy = ServerRunner.createServerFromCommandLineArgs(withTelemetryDisabled(args));
        } catch (Exception e) {
            System.err.println("dynamodb-local: invalid arguments " + Arrays.toString(args) + ": " + e);
            System.exit(2);
            return;
        }

        Server jetty = jettyServer(proxy);
        for (Connector connector : jetty.getConnectors()) {
            if (!(connector instanceof AbstractNetworkConnector)) {
                fail("connector " + connector + " has no settable host; not starting");
            }
            ((AbstractNetworkConnector) connector).setHost(HOST);
        }

        // DynamoDBProxyServer.start reports a failed bind on stderr and
        // returns normally, so the Jetty state decides the exit status.
        proxy.start();
        if (!jetty.isStarted()) {
            fail("server did not start; see the message above");
        }
        for (Connector connector : jetty.getConnectors()) {
            NetworkConnector network = (NetworkConnector) connector;
            if (!HOST.equals(network.getHost())) {
                fail("connector listens on " + network.getHost() + ", not " + HOST);
            }
            System.out.println("dynamodb-local: listening on " + HOST + ":" + network.getLocalPort());
        }

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                proxy.stop();
            } catch (Exception e) {
                System.err.println("dynamodb-local: stop failed: " + e);
            }
        }));
        proxy.join();
    }

    private static String[] withTelemetryDisabled(String[] args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        if (!all.contains("-disableTelemetry")) {
            all.add("-disableTelemetry");
        }
        return all.toArray(new String[0]);
    }

    // Returns the Jetty server that DynamoDBProxyServer keeps in its private
    // final field "server" (DynamoDB Local 1.25.1, Jetty 9.4).
    private static Server jettyServer(DynamoDBProxyServer proxy) throws Exception {
        Field field;
        try {
            field = DynamoDBProxyServer.class.getDeclaredField("server");
        } catch (NoSuchFieldException e) {
            fail("DynamoDBProxyServer has no field \"server\"; this DynamoDB Local version is not supported");
            return null;
        }
        field.setAccessible(true);
        Object value = field.get(proxy);
        if (!(value instanceof Server)) {
            fail("DynamoDBProxyServer.server is " + value + ", not a Jetty Server");
        }
        return (Server) value;
    }

    private static void fail(String message) {
        System.err.println("dynamodb-local: " + message);
        System.exit(1);
    }
}
