import { Db } from '../src/main/store/db';
const db = await Db.open('/dev/shm/b.sqlite', 'readwrite');
for (const [name, def] of [['observations_flow', 'observations(flow_id, ts_ns)'], ['observations_journey', 'observations(journey_id)'], ['observations_ts', 'observations(ts_ns)'], ['journeys_flow', 'journeys(flow_id, ts_ns)']]) {
  await db.exec(`DROP INDEX IF EXISTS ${name}`);
  const t = Date.now();
  await db.exec(`CREATE INDEX ${name} ON ${def}`);
  console.log(name, Date.now() - t, 'ms');
}
await db.close();
