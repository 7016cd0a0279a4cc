// JDBC (Debian's libpostgresql-jdbc-java) through `rds-iam proxy`: a plain URL, no password.
//   javac -d OUT Who.java && java -cp /usr/share/java/postgresql.jar:OUT Who 'jdbc:postgresql://...'
// Prints current_user.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

public class Who {
    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection(args[0]);
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT current_user")) {
            r.next();
            System.out.println(r.getString(1));
        }
    }
}
