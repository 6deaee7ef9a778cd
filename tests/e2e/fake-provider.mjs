// A fake OpenAI-compatible provider on loopback, speaking the documented SSE
// format (`data: {chunk}` … `data: [DONE]`). The last user message decides
// the answer: "long story" streams slowly for a long time (to test Stop).
import http from 'node:http';

export const ANSWER = 'Mars is red because its dust is rich in iron oxide.';

function words(text) {
  return text.match(/\S+\s*/g) ?? [];
}

export async function startFakeProvider(port = 0) {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'test' }] }));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
        return;
      }
      const request = JSON.parse(body);
      const last = request.messages.at(-1)?.content ?? '';
      const long = /long story/i.test(last);
      const tokens = long ? Array.from({ length: 400 }, (_, i) => `word${i} `) : words(ANSWER);
      const gap = long ? 100 : 40;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const chunk = (delta, finish = null) =>
        `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: request.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }));
      for (const token of tokens) {
        if (res.destroyed) return;
        await new Promise((r) => setTimeout(r, gap));
        res.write(chunk({ content: token }));
      }
      res.write(chunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
