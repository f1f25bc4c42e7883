import { ingest } from '/work/main/src/main/ingest/pipeline';
const t0 = Date.now();
let last = '';
const r = await ingest({ dbPath: process.env.DBP ?? '/tmp/prof/b.sqlite', inputs: [process.argv[2] ?? '/work/main/bench/.data/nat-1200000.pcap'], onProgress: (p) => { if (p.phase !== last) { console.log(((Date.now()-t0)/1000).toFixed(2), p.phase); last = p.phase; } } });
console.log(((Date.now()-t0)/1000).toFixed(2), 'end', r.packets, r.flows, 'rss', (process.resourceUsage().maxRSS/1024).toFixed(0));
