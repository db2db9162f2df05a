// Memory probe client (no dependencies; Node >= 18): logs in N users through the peers-bench HTTP
// contract and bumps each one's counter once (POST /login?user=userI, then GET /view), 8 at a time.
//   node sessions.mjs BASE_URL N
import http from "node:http";

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function req(base, method, path, cookie) {
  return new Promise((resolve, reject) => {
    const headers = cookie ? { cookie } : {};
    const r = http.request(new URL(path, base), { method, headers, agent, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, body: body.trim(), setCookie: res.headers["set-cookie"] || [] }));
    });
    r.on("timeout", () => r.destroy(new Error(`${method} ${path}: timeout`)));
    r.on("error", reject);
    r.end();
  });
}

const cookieOf = (setCookie) =>
  setCookie.map((c) => c.split(";")[0].trim()).filter((c) => /^[^=]+=.+$/.test(c)).join("; ");

const [base, nText] = process.argv.slice(2);
const n = Number(nText);
let next = 0;
async function worker() {
  while (next < n) {
    const i = next++;
    const login = await req(base, "POST", `/login?user=user${i}`);
    const cookie = cookieOf(login.setCookie);
    if (login.status !== 200 || !cookie) throw new Error(`login user${i}: ${login.status} ${login.body}`);
    const view = await req(base, "GET", "/view", cookie);
    if (view.status !== 200 || view.body !== "1") throw new Error(`view user${i}: ${view.status} ${view.body}`);
  }
}
try {
  await Promise.all(Array.from({ length: 8 }, worker));
  console.log(`SESSIONS ${n}`);
} catch (err) {
  console.error(`ERROR ${err.message}`);
  process.exitCode = 1;
}
agent.destroy();
