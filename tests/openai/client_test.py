"""Jarvis's OpenAI-compatible API, driven by the official `openai` package.

Run by tests/e2e/browser.test.mjs with JARVIS_URL and JARVIS_TOKEN set;
prints one JSON line with what it saw, and exits non-zero on failure.
"""
import json
import os
import urllib.request

import openai

client = openai.OpenAI(base_url=os.environ["JARVIS_URL"] + "/v1", api_key=os.environ["JARVIS_TOKEN"])

models = [m.id for m in client.models.list()]
assert "jarvis" in models, models

whole = client.chat.completions.create(
    model="jarvis",
    messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What colour is Mars?"}],
)
text = whole.choices[0].message.content

pieces = []
stream = client.chat.completions.create(
    model="fake-model",
    messages=[{"role": "user", "content": "What colour is Mars?"}],
    stream=True,
)
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        pieces.append(chunk.choices[0].delta.content)

try:
    client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    bad_model = None
except openai.UnprocessableEntityError as e:
    bad_model = e.body

try:
    openai.OpenAI(base_url=os.environ["JARVIS_URL"] + "/v1", api_key="wrong").models.list()
    unauthorised = False
except openai.AuthenticationError:
    unauthorised = True

# An API key made with the owner token works as the client's key too.
made = urllib.request.Request(
    os.environ["JARVIS_URL"] + "/api/v1/api-keys",
    data=json.dumps({"name": "openai client test"}).encode(),
    method="POST",
    headers={"Authorization": "Bearer " + os.environ["JARVIS_TOKEN"], "Content-Type": "application/json"},
)
with urllib.request.urlopen(made) as response:
    api_key = json.load(response)["key"]
keyed = openai.OpenAI(base_url=os.environ["JARVIS_URL"] + "/v1", api_key=api_key)
assert "jarvis" in [m.id for m in keyed.models.list()]

print(json.dumps({
    "models": models,
    "text": text,
    "finish": whole.choices[0].finish_reason,
    "streamed": pieces,
    "bad_model": bad_model,
    "unauthorised": unauthorised,
    "api_key_works": True,
}))
