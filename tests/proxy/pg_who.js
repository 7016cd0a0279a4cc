'use strict';
// node-postgres through `rds-iam proxy`: a plain connection string, no password.
//   node pg_who.js postgresql://iam_user@127.0.0.1:PORT/iamdb
// Prints {"user", "backendPid", "processID"} as JSON: processID is the pid in the key the client
// was given (the server's own, with the proxy's secret), backendPid what pg_backend_pid() says. On an error: "<SQLSTATE> <message>" on stderr, exit 1.
const { Client } = require('pg');

async function main() {
  const client = new Client({ connectionString: process.argv[2] });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT current_user AS who, pg_backend_pid() AS pid');
    const [row] = rows;
    console.log(
      JSON.stringify({ user: row.who, backendPid: row.pid, processID: client.processID }),
    );
  } finally {
    await client.end();
  }
}

main().catch((e) => {
  console.error(`${e.code ?? 'no-code'} ${e.message}`);
  process.exit(1);
});
