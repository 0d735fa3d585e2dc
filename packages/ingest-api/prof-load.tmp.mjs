import autocannon from 'autocannon';
const url = process.argv[2]; const kind = process.argv[3] ?? 'batch'; const secs = Number(process.argv[4] ?? 10);
const tpl = JSON.stringify({type:'track',event:'Transfer Completed',userId:'@@U@@',anonymousId:'@@A@@',messageId:'@@ID@@',timestamp:'2026-11-20T10:00:00.000Z',properties:{amount:125.5,currency:'EUR',method:'sepa',recipient:'r-17',fee:0.25,note:'rent share'},context:{library:{name:'bench',version:'1.0.0'},locale:'de-DE',ip:'203.0.113.7',userAgent:'bench/1.0 (Linux x86_64)'}});
const parts = tpl.split(/@@(?:U|A|ID)@@/); let seq=0; const n = kind==='batch'?100:1; const pre = 'p'+Date.now();
const next = () => { let out = kind==='batch'?'{"batch":[':''; for (let i=0;i<n;i++){const g=seq++; if(i>0) out+=','; out+=`${parts[0]}u-${g%50000}${parts[1]}a-${g%150000}${parts[2]}${pre}-${g}${parts[3]}`;} return kind==='batch'?out+']}':out; };
const r = await autocannon({ url, connections: 50, duration: secs, requests: [{ method:'POST', path: kind==='batch'?'/v1/batch':'/v1/track', headers:{authorization:'Basic '+Buffer.from('wk_bench_write_key_0001:').toString('base64'),'content-type':'application/json'}, setupRequest:(req)=>({...req, body: next()}) }] });
console.log(JSON.stringify({ ok: r['2xx'], rps: r['2xx']/secs, evps: r['2xx']*n/secs, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors }));
