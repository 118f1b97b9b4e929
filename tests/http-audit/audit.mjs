// The GraphQL-over-HTTP audit of graphql-http against a served tracegraph.
//   node audit.mjs URL TOKEN  -> one JSON line per audit; exit 1 if any MUST audit failed
import { serverAudits } from 'graphql-http';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node audit.mjs URL TOKEN');
  process.exit(2);
}
// Every request carries the bearer token, as every client of tracegraph must.
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

let failed = 0;
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  const must = audit.name.startsWith('MUST');
  if (must && result.status !== 'ok') failed += 1;
  const line = { id: audit.id, name: audit.name, status: result.status };
  if (result.status !== 'ok') {
    line.reason = result.reason;
    line.httpStatus = result.response?.status;
  }
  console.log(JSON.stringify(line));
}
process.exit(failed ? 1 : 0);
