import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { EXTENSION_ID, TEST_PROJECT_TITLES, TestEnv, type CodeCraftApi, type DomAck } from '../fixtures';

/**
 * From activate() (or the view opening, if later) to the stored projects painted as rows in the
 * workbench DOM. The rows travel from this extension host to the workbench and are rendered
 * there; the runner's page notes when. Always: they are painted while the stored session is still
 * being checked with a server that never answers (local first). On a machine that is not
 * overloaded (load average below its cores) they also must be painted within the budget; the
 * figure is printed either way.
 */
const PAINT_BUDGET_MS = 1_000;

async function api(): Promise<CodeCraftApi> {
  const ext = vscode.extensions.getExtension<CodeCraftApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed in this extension host`);
  return ext.activate();
}

describe('activation with an endpoint that never answers', () => {
  it('runs against the black-hole endpoint the runner configured', () => {
    const endpoint = process.env[TestEnv.endpoint];
    assert.ok(endpoint, `${TestEnv.endpoint} is not set by the runner`);
    assert.equal(vscode.workspace.getConfiguration('codecraft').get<string>('endpoint'), endpoint);
  });

  it('gives the Projects view the pre-filled projects from the local store', async () => {
    const labels = (await (await api()).projectItems()).map((i) => i.label).sort();
    assert.deepEqual(labels, [...TEST_PROJECT_TITLES].sort());
  });

  it(`paints the pre-filled projects in the workbench DOM within ${PAINT_BUDGET_MS} ms of activate()`, async function () {
    const ackFile = process.env[TestEnv.domAck];
    if (!ackFile) return this.skip(); // only the code-server runner can look at the workbench DOM
    this.timeout(60_000);
    const { timings } = await api();
    // The runner's page opens the CodeCraft container as soon as its icon appears and watches the DOM
    // for the rows from before the workbench starts; it writes when they appeared.
    const deadline = Date.now() + 25_000;
    while (!existsSync(ackFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(ackFile), 'the runner did not see the project rows in the workbench DOM');
    const ack = JSON.parse(readFileSync(ackFile, 'utf8')) as DomAck;
    assert.deepEqual([...ack.seen].sort(), [...TEST_PROJECT_TITLES].sort());
    const hostStart = Date.now() - process.uptime() * 1000;
    // From the moment the extension was activated and its view was on screen, whichever came later.
    const from = Math.max(timings.activateStart, ack.openedAt);
    const paintMs = ack.paintedAt - from;
    console.log(
      `      (rows painted in the DOM ${paintMs} ms after ${from === timings.activateStart ? 'activate()' : 'the view opened'}; ` +
        `activate() at +${Math.round(timings.activateStart - hostStart)} ms and the view opened at +${Math.round(ack.openedAt - hostStart)} ms of the extension host's life, painted at +${Math.round(ack.paintedAt - hostStart)} ms)`,
    );
    assert.ok(ack.paintedAt >= timings.activateStart, `painted before activate() (${ack.paintedAt - timings.activateStart} ms): the rows came from somewhere else`);
    // Local first: the rows were on screen before the check of the stored session with the server
    // (which never answers here) gave up.
    const t = (await api()).testing!;
    await t.whenAccount('signedIn', 40_000);
    const restored = t.accountChanges().find((c) => c.state === 'signedIn')!;
    assert.ok(ack.paintedAt < restored.at, `rows painted ${ack.paintedAt - restored.at} ms after the session check gave up: the view waited for the network`);
    console.log(`      (the session check gave up ${restored.at - ack.paintedAt} ms after the rows were painted)`);
    const [load] = os.loadavg();
    if (load! < os.cpus().length) assert.ok(paintMs <= PAINT_BUDGET_MS, `rows painted ${paintMs} ms after the extension was active and its view shown (budget ${PAINT_BUDGET_MS} ms)`);
    else console.log(`      (load average ${load!.toFixed(1)} on ${os.cpus().length} cores: the ${PAINT_BUDGET_MS} ms budget is not asserted)`);
  });
});
