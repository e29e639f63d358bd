// Starts DynamoDB Local listening on 127.0.0.1 only.
//
// DynamoDBLocal.jar has no option for the listen address and its Jetty server binds every
// interface, so this launcher builds the server from the usual command-line flags, sets the
// connector host to 127.0.0.1 before start, and then starts it. It stops when its standard input
// closes. Java 17 runs this file directly:
// java -cp DynamoDBLocal.jar:DynamoDBLocal_lib/* LoopbackDynamoDB.java -inMemory -port N
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDB {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);

    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      ((ServerConnector) connector).setHost("127.0.0.1");
    }

    proxy.start();

    // The launching process keeps this process's standard input open. When it exits, even when
    // killed, the input reaches end of file and DynamoDB Local stops with it.
    while (System.in.read() != -1) {
      // Nothing is sent on standard input; reading only waits for its end.
    }
    proxy.stop();
    System.exit(0);
  }
}
