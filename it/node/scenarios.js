// Drives a Tandem controller with the official OpenWhisk JavaScript client (npm `openwhisk`), unchanged.
// Prints one JSON object of observations on stdout; the Java test (OpenWhiskClientIT) asserts on them.
// Env: APIHOST (http://addr:port), API_KEY (uuid:key), WRONG_KEY, BURST_KEY, BURST (count), BURST_SLEEP_MS.
'use strict';
const openwhisk = require('openwhisk');

function errInfo(e) {
  return { statusCode: e.statusCode === undefined ? null : e.statusCode, message: String(e.message) };
}

async function attempt(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    return { ok: false, error: errInfo(e) };
  }
}

async function main() {
  const apihost = process.env.APIHOST;
  const ow = openwhisk({ apihost, api_key: process.env.API_KEY, namespace: '_' });
  const out = {};

  out.blocking = await attempt(() => ow.actions.invoke({ name: 'echo', blocking: true, params: { hello: 'world' } }));
  out.result = await attempt(() => ow.actions.invoke({ name: 'echo', blocking: true, result: true, params: { n: 42 } }));
  out.packaged = await attempt(() => ow.actions.invoke({ name: 'demo/echo', blocking: true, result: true, params: { p: 'pkg' } }));

  const nb = await attempt(() => ow.actions.invoke({ name: 'echo', params: { async: true } }));
  out.nonBlocking = nb;
  if (nb.ok) {
    // The record exists once the activation ended: poll (bounded) for it.
    let fetched = null;
    for (let i = 0; i < 100 && !(fetched && fetched.ok); i++) {
      fetched = await attempt(() => ow.activations.get({ name: nb.value.activationId }));
      if (!fetched.ok) await new Promise(r => setTimeout(r, 100));
    }
    out.fetched = fetched;
    out.fetchedResult = await attempt(() => ow.activations.result({ name: nb.value.activationId }));
  }

  const wrong = openwhisk({ apihost, api_key: process.env.WRONG_KEY, namespace: '_' });
  out.wrongKey = await attempt(() => wrong.actions.invoke({ name: 'echo', blocking: true }));
  out.appError = await attempt(() => ow.actions.invoke({ name: 'fail', blocking: true, params: { message: 'boom' } }));
  out.unknown = await attempt(() => ow.actions.invoke({ name: 'no-such-action', blocking: true }));

  const burst = parseInt(process.env.BURST || '30', 10);
  const sleepMs = parseInt(process.env.BURST_SLEEP_MS || '2000', 10);
  // The burst runs in its own namespace (BURST_KEY), so that the invokers' per-namespace high-water marks
  // measure the burst alone.
  const bursty = openwhisk({ apihost, api_key: process.env.BURST_KEY || process.env.API_KEY, namespace: '_' });
  const calls = [];
  for (let i = 0; i < burst; i++) {
    calls.push(attempt(() => bursty.actions.invoke({ name: 'sleep', blocking: true, result: true, params: { ms: sleepMs } })));
  }
  const results = await Promise.all(calls);
  out.burst = {
    ok: results.filter(r => r.ok).length,
    throttled: results.filter(r => !r.ok && r.error.statusCode === 429).map(r => r.error.message),
    other: results.filter(r => !r.ok && r.error.statusCode !== 429).map(r => r.error),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch(e => { console.error(e); process.exit(1); });
