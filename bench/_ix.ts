import { Db } from '../src/main/store/db';
const db = await Db.open('/tmp/prof/b.sqlite', 'readwrite');
const ix = `CREATE INDEX observations_flow ON observations(flow_id, ts_ns);
CREATE INDEX observations_journey ON observations(journey_id);
CREATE INDEX observations_ts ON observations(ts_ns);
CREATE INDEX journeys_flow ON journeys(flow_id, ts_ns);`;
for (const pragma of [process.argv[2] ?? '']) {
  await db.exec('DROP INDEX IF EXISTS observations_flow; DROP INDEX IF EXISTS observations_journey; DROP INDEX IF EXISTS observations_ts; DROP INDEX IF EXISTS journeys_flow;');
  await db.exec(pragma);
  const t = Date.now();
  await db.exec('BEGIN;' + ix + 'COMMIT');
  console.log(JSON.stringify(pragma), Date.now() - t, 'ms');
}
await db.close();
