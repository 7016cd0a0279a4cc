// MariaDB Connector/J (Debian's libmariadb-java) through `rds-iam proxy --engine mysql`: a plain
// URL, no password.
//   javac -d OUT MariaDbClient.java
//   java -cp /usr/share/java/mariadb-java-client.jar:OUT MariaDbClient 'jdbc:mariadb://...'
// Logs in and prints "thread <the connection id of the server's greeting>", then runs each line
// of stdin and prints one line per line read, the first row's columns separated by tabs:
//   query SQL                  -> "row\t<col>\t<col>..."   (a Statement)
//   prepare SQL<TAB>P1<TAB>... -> "row\t<col>..."          (a PreparedStatement, string
//                                                            parameters; server-side with
//                                                            useServerPrepStmts=true)
// or "error\t<errno>\t<SQLSTATE>\t<message>". At the end of stdin it closes.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.mariadb.jdbc.MariaDbConnection;

public class MariaDbClient {
    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection(args[0])) {
            System.out.println("thread " + c.unwrap(MariaDbConnection.class).getServerThreadId());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
            String line;
            while ((line = in.readLine()) != null) {
                String[] parts = line.split("\t");
                try {
                    if (parts[0].equals("prepare")) {
                        try (PreparedStatement p = c.prepareStatement(parts[1])) {
                            for (int i = 2; i < parts.length; i++) {
                                p.setString(i - 1, parts[i]);
                            }
                            try (ResultSet r = p.executeQuery()) {
                                System.out.println(firstRow(r));
                            }
                        }
                    } else {
                        try (Statement s = c.createStatement();
                                ResultSet r = s.executeQuery(line.substring(parts[0].length() + 1))) {
                            System.out.println(firstRow(r));
                        }
                    }
                } catch (SQLException e) {
                    System.out.println("error\t" + e.getErrorCode() + "\t" + e.getSQLState() + "\t"
                            + e.getMessage().replace('\n', ' '));
                }
                System.out.flush();
            }
        }
    }

    private static String firstRow(ResultSet r) throws SQLException {
        StringBuilder out = new StringBuilder("row");
        if (r.next()) {
            for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                out.append('\t').append(r.getString(i));
            }
        }
        return out.toString();
    }
}
