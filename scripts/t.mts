import { PGlite } from '@electric-sql/pglite';

let t0 = Date.now();
const a = await PGlite.create({ dataDir: '/tmp/pgl1' });
console.log('create dir', Date.now() - t0);
await a.query('create table if not exists x(a int)');
const dump = await a.dumpDataDir('none');
console.log('dump', Date.now() - t0, dump.size);
await a.close();
t0 = Date.now();
const b = await PGlite.create({ dataDir: '/tmp/pgl1' });
console.log('reopen dir', Date.now() - t0);
await b.close();
t0 = Date.now();
const c = await PGlite.create({ loadDataDir: dump });
console.log('load dump mem', Date.now() - t0, (await c.query('select count(*) from x')).rows);
