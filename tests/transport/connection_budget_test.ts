/**
 * Claims about the connection budget's choices (src/io/connection_budget.ts), with stand-in connections:
 * which handshake makes room for a newcomer, which established connection does, when the newcomer itself
 * is refused, how reclaims are reported, and what the defaults are made of.
 */
import assert from "node:assert/strict";
import { ConnectionBudget, type ConnectionsReclaimed, defaultLimits } from "../../src/io/connection_budget.ts";

class Conn {
  closed = false;
  constructor(readonly name: string, public bytesReceived = 0) {}
  close(): void {
    this.closed = true;
  }
}

const names = (conns: Conn[]) => conns.filter((c) => c.closed).map((c) => c.name);

Deno.test("a full handshake budget drops the oldest silent connection, else the oldest handshake", () => {
  const budget = new ConnectionBudget<Conn>({ maxHandshakes: 3, maxConnections: 10 });
  const talking = new Conn("talking", 300);
  const silentA = new Conn("silentA");
  const silentB = new Conn("silentB");
  for (const c of [talking, silentA, silentB]) budget.admit(c);
  const d = new Conn("d", 250);
  budget.admit(d);
  assert.deepEqual(names([talking, silentA, silentB, d]), ["silentA"]);
  silentB.bytesReceived = 10;
  const e = new Conn("e");
  budget.admit(e);
  // Nobody silent left among the older ones: the oldest handshake goes.
  assert.deepEqual(names([talking, silentA, silentB, d, e]), ["talking", "silentA"]);
  assert.equal(budget.handshaking, 3);
  assert.ok(budget.wasReclaimed(talking) && !budget.wasReclaimed(d));
});

Deno.test("a full connection budget closes the longest-idle connection, and refuses only when all are busy", () => {
  const budget = new ConnectionBudget<Conn>({ maxHandshakes: 10, maxConnections: 2 });
  const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => new Conn(n, 1));
  for (const x of [a, b, c, d]) budget.admit(x);
  assert.ok(budget.establish(a) && budget.establish(b));
  budget.markIdle(b, true);
  budget.markIdle(a, true); // idle since later than b
  budget.markIdle(b, false); // b serves a request again
  budget.markIdle(b, true); // and is idle again, now after a
  assert.ok(budget.establish(c));
  assert.deepEqual(names([a, b, c, d]), ["a"]);
  budget.markIdle(b, false);
  // b and c both busy: the newcomer is the one closed.
  assert.equal(budget.establish(d), false);
  assert.deepEqual(names([a, b, c, d]), ["a", "d"]);
  assert.equal(budget.established, 2);
  budget.remove(b);
  assert.equal(budget.established, 1);
  assert.deepEqual([...budget.all].map((x) => x.name), ["c"]);
});

Deno.test("reclaims are reported as counts, once per interval", async () => {
  const reports: ConnectionsReclaimed[] = [];
  const budget = new ConnectionBudget<Conn>({ maxHandshakes: 1, maxConnections: 1 }, (r) => reports.push(r), 50);
  for (let i = 0; i < 5; i++) budget.admit(new Conn(`h${i}`));
  assert.equal(reports.length, 0, "not a report per connection");
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(reports.length, 1);
  assert.deepEqual([reports[0].handshakes, reports[0].idle, reports[0].refused], [4, 0, 0]);
  assert.match(reports[0].message, /dropped 4 stalled handshakes \(budget 1\)/);
  const x = new Conn("x", 1);
  const y = new Conn("y", 1);
  budget.admit(x);
  budget.establish(x);
  budget.admit(y);
  budget.establish(y);
  budget.dispose(); // reports what is left, at once
  assert.equal(reports.length, 2);
  assert.deepEqual([reports[1].handshakes, reports[1].idle, reports[1].refused], [1, 0, 1]);
});

Deno.test("default budgets: bounded by memory and the open-file limit, handshakes a quarter of it", () => {
  const limits = defaultLimits();
  assert.ok(limits.maxHandshakes >= 128 && limits.maxHandshakes <= 4096);
  assert.ok(limits.maxConnections >= 256);
  const soft = Deno.readTextFileSync("/proc/self/limits").match(/^Max open files\s+(\d+)/m);
  if (soft) assert.ok(limits.maxConnections + limits.maxHandshakes <= Math.max(Number(soft[1]), 256 + 128));
});
