'use strict';
// mysql2 through `rds-iam proxy --engine mysql`: host, port, user and database, no password.
//   node mysql2_client.js PORT [DATABASE]
// Logs in and prints {"threadId"} (the connection id of the server's greeting) as a JSON line,
// then runs each line of stdin and prints one JSON line per line read:
//   query SQL              → {"rows": [[...], ...]}      (text protocol)
//   execute SQL<TAB>JSON   → {"rows": [[...], ...]}      (a server-side prepared statement;
//                                                         JSON: the parameters, an array)
// An error is {"error": {"errno", "sqlState", "message"}}; the login's error goes to stderr as
// "<errno> <sqlState> <message>" with exit 1. At the end of stdin it closes (COM_QUIT).
const readline = require('node:readline');
const mysql = require('mysql2/promise');

async function main() {
  const conn = await mysql.createConnection({
    host: '127.0.0.1',
    port: Number(process.argv[2]),
    user: 'iam_user',
    database: process.argv[3],
    charset: 'UTF8MB4_UNICODE_CI',
    multipleStatements: true,
    rowsAsArray: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  console.log(JSON.stringify({ threadId: conn.connection.threadId }));
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [verb, sql, params] = line.split('\t');
    try {
      const [rows] =
        verb === 'execute'
          ? await conn.execute(sql, JSON.parse(params ?? '[]'))
          : await conn.query(line.slice(verb.length + 1));
      console.log(JSON.stringify({ rows: rows.map((r) => r.map(String)) }));
    } catch (e) {
      console.log(
        JSON.stringify({ error: { errno: e.errno, sqlState: e.sqlState, message: e.message } }),
      );
    }
  }
  await conn.end();
}

main().catch((e) => {
  console.error(`${e.errno ?? 'no-errno'} ${e.sqlState ?? 'no-sqlstate'} ${e.message}`);
  process.exit(1);
});
