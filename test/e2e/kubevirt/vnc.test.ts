/**
 * VNC with real protocols: an RFB 3.8 client written from the specification
 * (test/helpers/rfb-client.ts) over virt-api's `vnc` WebSocket completes the
 * handshake and reads the VGA text console in ZRLE and in Raw; the pixels are
 * read back as text by matching each 9×16 cell against the font's glyphs, and
 * checked without the font too (the prompt's row is lit, a blank row is not,
 * typed keys change the row). `vnc/screenshot` is the same framebuffer as PNG.
 * noVNC 1.7 in Chromium (puppeteer-core), served by `kubectl proxy --www`,
 * connects through the proxy and its canvas shows the prompt and typed keys.
 * The same running VMI serves one exec check of its launcher's compute container.
 */
import t from 'tap';
import { PNG } from 'pngjs';
import { withEmulator, type EmulatorFixture } from '../../helpers/cluster.js';
import { kubevirtSchema } from '../../helpers/kubevirt.js';
import { rawClient } from '../../helpers/raw-https.js';
import { ENCODING_RAW, ENCODING_ZRLE, RfbClient } from '../../helpers/rfb-client.js';
import { openWebSocket } from '../../helpers/websocket-client.js';
import { CELL_H, CELL_W, COLUMNS, screenText } from '../../helpers/vga-text.js';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { startKubectl } from '../../helpers/kubectl.js';

const VMI = 'vmi-ephemeral';
const base = '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachineinstances';
const RETURN = 0xff0d;

let fixture: EmulatorFixture;

t.before(async () => {
  fixture = await withEmulator(t, { workers: 1, installKubeVirt: true });
  const apply = await fixture.kubectl(['apply', '-f', '-'], { input: readFileSync(kubevirtSchema('examples/vmi-ephemeral.yaml'), 'utf8') });
  if (apply.code !== 0) throw new Error(apply.stderr);
  const wait = await fixture.kubectl(['wait', 'vmi', VMI, '--for=jsonpath={.status.phase}=Running', '--timeout=60s'], {
    timeoutMs: 70_000,
  });
  if (wait.code !== 0) throw new Error(wait.stderr);
});

async function connect(): Promise<RfbClient> {
  const ws = await openWebSocket(fixture.emulator.url, fixture.kubeconfigPath, `${base}/${VMI}/vnc`, { protocols: ['plain.kubevirt.io'] });
  if (ws.status !== 101) throw new Error(`vnc upgrade answered ${ws.status}: ${ws.body}`);
  t.teardown(() => ws.close());
  return new RfbClient(ws);
}

/** Pixels of a text row that differ from the screen's background (black). */
function litPixels(client: RfbClient, row: number): number {
  let lit = 0;
  for (let y = row * CELL_H; y < (row + 1) * CELL_H; y++) for (let x = 0; x < COLUMNS * CELL_W; x++) if (client.pixel(x, y) !== 0) lit++;
  return lit;
}

t.test('an RFB client completes the handshake and reads the login prompt off the framebuffer', async (t) => {
  const client = await connect();
  const handshake = await client.handshake();
  t.same(handshake, { version: 'RFB 003.008\n', securityTypes: [1], securityResult: 0 });
  t.match(client.init, { width: 720, height: 400, bitsPerPixel: 32, depth: 24, trueColour: true, name: VMI });

  client.setEncodings([ENCODING_ZRLE, ENCODING_RAW, -223 /* DesktopSize, ignored */]);
  const full = await client.update(false);
  t.same(full, [{ x: 0, y: 0, width: 720, height: 400 }]);
  t.same(client.lastEncodings, [ENCODING_ZRLE]);

  let text = screenText(client);
  if (!text.some((line) => line.startsWith(`${VMI} login:`))) {
    // A guest whose terminal shows nothing until a key is pressed: Enter at login: prints the prompt, as getty does.
    client.key(RETURN);
    await client.update(true);
    text = screenText(client);
  }
  const promptRow = text.findLastIndex((line) => line.startsWith(`${VMI} login:`));
  t.ok(promptRow >= 0, `the login prompt is on screen:\n${text.join('\n')}`);
  const blankRow = text.indexOf('');
  t.ok(blankRow >= 0 && litPixels(client, blankRow) === 0, 'a blank row has no lit pixel');
  t.ok(litPixels(client, promptRow) > 500, 'the prompt row is lit');

  const before = litPixels(client, promptRow);
  client.type('c');
  t.same(await client.update(true), [{ x: 0, y: promptRow * CELL_H, width: 720, height: CELL_H }], 'only the changed row is sent');
  client.type('irros');
  for (let i = 0; i < 10 && !screenText(client)[promptRow].includes('cirros'); i++) await client.update(true);
  t.equal(screenText(client)[promptRow].replace('\u2592', '').trimEnd(), `${VMI} login: cirros`, 'typed keys are echoed by the guest');
  t.ok(litPixels(client, promptRow) > before, 'typing lit more pixels on the prompt row');
});

t.test("Raw in a client pixel format (noVNC's: red in the low byte) shows the same screen as ZRLE", async (t) => {
  const zrle = await connect();
  await zrle.handshake();
  zrle.setEncodings([ENCODING_ZRLE]);
  await zrle.update(false);

  const raw = await connect();
  await raw.handshake();
  raw.setPixelFormat({ bigEndian: false, redShift: 0, greenShift: 8, blueShift: 16 });
  raw.setEncodings([ENCODING_RAW]);
  await raw.update(false);
  t.same(raw.lastEncodings, [ENCODING_RAW]);
  t.ok(Buffer.from(raw.framebuffer.buffer).equals(Buffer.from(zrle.framebuffer.buffer)), 'identical pixels');
  t.ok(
    raw.framebuffer.some((rgb) => rgb === 0xaaaaaa),
    'light grey text on black, as VGA shows it',
  );

  raw.pointer(1, 10, 10);
  const area = { x: 90, y: 32, width: 45, height: 20 };
  t.same(await raw.update(false, area), [area], 'pointer events are accepted; a partial request is answered for its area');
});

t.test('vnc/screenshot returns the framebuffer as a 720x400 PNG', async (t) => {
  const client = await connect();
  await client.handshake();
  client.setEncodings([ENCODING_RAW]);
  await client.update(false);

  const http = rawClient(fixture.emulator.url, fixture.kubeconfigPath);
  const answer = await http.send('GET', `${base}/${VMI}/vnc/screenshot?moveCursor=false`);
  t.equal(answer.status, 200);
  t.equal(answer.contentType, 'image/png');
  const image = PNG.sync.read(answer.bytes);
  t.equal(image.width, 720);
  t.equal(image.height, 400);
  let differing = 0;
  for (let i = 0; i < 720 * 400; i++) {
    const rgb = (image.data[i * 4] << 16) | (image.data[i * 4 + 1] << 8) | image.data[i * 4 + 2];
    if (rgb !== client.framebuffer[i]) differing++;
  }
  t.equal(differing, 0, 'the PNG shows what the VNC client shows');

  const missing = await http.send('GET', `${base}/nope/vnc/screenshot`);
  t.equal(missing.status, 500);
  t.equal(missing.text, 'virtualmachineinstance.kubevirt.io "nope" not found');
});

t.test('one VNC client per VMI: a new one ends the current one, unless it asks to preserve the session', async (t) => {
  const first = await connect();
  await first.handshake();
  const path = `${base}/${VMI}/vnc?preserveSession=true`;
  const refused = await openWebSocket(fixture.emulator.url, fixture.kubeconfigPath, path, { protocols: ['plain.kubevirt.io'] });
  t.equal(refused.status, 500);
  t.match(JSON.parse(refused.body), {
    reason: 'InternalError',
    message:
      "Internal error occurred: Can't connect to websocket (503): websocket: bad handshake: application info: Active VNC connection. Request denied.",
  });
  const second = await connect();
  t.equal((await second.handshake()).version, 'RFB 003.008\n', 'a client that does not preserve the session takes over');
  await first.ended();
  t.pass('the first client was disconnected');
});

const CHROMIUM = '/usr/bin/chromium';

/** A page that opens noVNC 1.7 (served beside it) on the WebSocket path in its URL's fragment, through its own origin. */
const NOVNC_PAGE = `<!doctype html>
<html><body><div id="screen"></div>
<script type="module">
  import RFB from './novnc/core/rfb.js';
  window.state = 'connecting';
  const rfb = new RFB(document.getElementById('screen'), \`ws://\${location.host}\${location.hash.slice(1)}\`, { wsProtocols: ['plain.kubevirt.io'] });
  rfb.addEventListener('connect', () => (window.state = 'connected'));
  rfb.addEventListener('disconnect', (event) => (window.state = \`disconnected \${JSON.stringify(event.detail)}\`));
  window.rfb = rfb;
</script></body></html>`;

t.test('noVNC 1.7 in Chromium, through kubectl proxy, shows the login prompt and types into the console', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(`${CHROMIUM} is missing: install it with \`apt-get update && apt-get install -y chromium\` (as root); .ci/run does`);
    return;
  }
  const www = await mkdtemp(join(tmpdir(), 'novnc-'));
  t.teardown(() => rm(www, { recursive: true, force: true }));
  await symlink(fileURLToPath(new URL('../../../node_modules/@novnc/novnc', import.meta.url)), join(www, 'novnc'));
  await writeFile(join(www, 'index.html'), NOVNC_PAGE);
  // kubectl proxy serves the page and, on the same origin, the API with the kubeconfig's credentials, as users run noVNC.
  const proxy = await startKubectl(
    ['proxy', '--port=0', `--www=${www}`, '--www-prefix=/page/'],
    /Starting to serve on 127\.0\.0\.1:(\d+)/,
    { kubeconfig: fixture.kubeconfigPath, cacheDir: join(www, 'cache') },
  );
  t.teardown(() => proxy.stop());
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${proxy.ready[1]}/page/index.html#${base}/${VMI}/vnc`);
  await page.waitForFunction(() => (window as unknown as { state: string }).state !== 'connecting', { timeout: 20_000 });
  t.equal(await page.evaluate(() => (window as unknown as { state: string }).state), 'connected');

  /** The canvas noVNC draws, read back as text through the font's glyphs. */
  const canvasText = async (): Promise<string[]> => {
    const rgba = Buffer.from(
      await page.evaluate(() => {
        const canvas = document.querySelector('#screen canvas') as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let binary = '';
        for (let i = 0; i < data.length; i++) binary += String.fromCharCode(data[i]);
        return btoa(binary);
      }),
      'base64',
    );
    const width = 720;
    return screenText({ pixel: (x, y) => rgba.readUIntBE((y * width + x) * 4, 3) });
  };
  /** The canvas's text once its last non-blank row (the cursor's) matches, or as it is after 5 s. */
  const waitForLastRow = async (pattern: RegExp): Promise<string[]> => {
    let text: string[] = [];
    for (let i = 0; i < 50; i++) {
      text = await canvasText();
      if (pattern.test(text.filter((line) => line !== '').at(-1) ?? '')) return text;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return text;
  };
  await page.click('#screen canvas');
  // Whatever the getty holds from earlier tests: Enter ends the name, Enter again an empty password; a fresh prompt follows.
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  const promptRow = new RegExp(`^${VMI} login: \u2592$`);
  const prompt = await waitForLastRow(promptRow);
  t.match(
    prompt.filter((line) => line !== '').at(-1),
    promptRow,
    `the canvas shows the login prompt and the cursor:\n${prompt.join('\n')}`,
  );
  await page.keyboard.type('browser');
  const typedRow = new RegExp(`^${VMI} login: browser\u2592$`);
  const typed = await waitForLastRow(typedRow);
  t.match(typed.filter((line) => line !== '').at(-1), typedRow, 'keys typed in the browser reach the guest, which echoes them');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
});

// Shares this file's KubeVirt install: KubeVirt's functional tests exec into the launcher's compute container.
t.test("kubectl exec into virt-launcher's compute container runs virsh", async (t) => {
  const pod = await fixture.kubectl(['get', 'pods', '-l', `vm.kubevirt.io/name=${VMI}`, '-o', 'jsonpath={.items[0].metadata.name}']);
  t.match(pod.stdout, /^virt-launcher-vmi-ephemeral-/);
  const list = await fixture.kubectl(['exec', pod.stdout, '-c', 'compute', '--', 'virsh', 'list']);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, `1    default_${VMI}   running`);
  const state = await fixture.kubectl(['exec', pod.stdout, '-c', 'compute', '--', 'virsh', 'domstate', `default_${VMI}`]);
  t.same([state.code, state.stdout], [0, 'running\n\n']);
  const release = await fixture.kubectl(['exec', pod.stdout, '-c', 'compute', '--', 'cat', '/etc/os-release']);
  t.match(release.stdout, 'NAME="CentOS Stream"');
});
