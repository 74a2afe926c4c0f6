#!/usr/bin/env python3
"""Drives a running Spotik (directly or through nginx) for the container and nginx checks.

Standard library only (the test machine has Debian's python3, which docker-compose needs).
Every command exits 0 on success and 1 with a line saying which step broke otherwise.

  flow BASE AUDIO1 AUDIO2 STATE   register, room, upload, vote, play, stream and a WebSocket
                                  session (room_joined, track_added, track_voted,
                                  playback_started); writes what it made to STATE (JSON)
  verify BASE STATE               the room, tracks and audio of STATE are still there
  spread BASE COUNT TAG           COUNT GET /api/time with X-Request-ID TAG-<n>, all must be 200
  steady BASE SECONDS STATE       authenticated reads in a loop; fails on any non-2xx
  expect-status URL STATUS        one GET answers STATUS (and a JSON body)
  upload-size BASE STATE MIB      a MIB MiB upload must reach the backend (not 413 from nginx)
  oversize BASE STATE             a 200 MiB upload is refused by nginx with a JSON 413
  burst BASE PATH COUNT WANT429   COUNT quick GETs; WANT429=yes: some must get a JSON 429,
                                  no: none may
"""
import base64
import json
import os
import socket
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


class StepFailed(Exception):
    pass


def fail(step, detail):
    raise StepFailed(f"{step}: {detail}")


CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def request(base, method, path, body=None, token=None, headers=None, timeout=30):
    hdrs = dict(headers or {})
    data = None
    if body is not None and not isinstance(body, bytes):
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    elif body is not None:
        data = body
    hdrs.setdefault("Accept", "application/json")
    if token:
        hdrs["Authorization"] = "Bearer " + token
    req = urllib.request.Request(base + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=CTX) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def json_of(step, status, raw, want):
    if status != want:
        fail(step, f"expected HTTP {want}, got {status}: {raw[:300]!r}")
    try:
        return json.loads(raw)
    except ValueError:
        fail(step, f"body is not JSON: {raw[:200]!r}")


def register(base, who):
    name = f"{who}{uuid.uuid4().hex[:8]}"
    body = {"username": name, "email": f"{name}@example.test", "password": "secret-pass-1",
            "password_confirmation": "secret-pass-1"}
    st, _, raw = request(base, "POST", "/api/auth/register", body)
    data = json_of(f"register {who}", st, raw, 201)["data"]
    return {"id": data["user"]["id"], "email": body["email"], "password": body["password"],
            "token": data["token"]}


def multipart(field, path, content_type):
    boundary = "spotik" + uuid.uuid4().hex
    with open(path, "rb") as f:
        content = f.read()
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{os.path.basename(path)}\"\r\nContent-Type: {content_type}\r\n\r\n").encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def audio_type(path):
    return {"mp3": "audio/mpeg", "wav": "audio/wav", "m4a": "audio/mp4"}.get(path.rsplit(".", 1)[-1], "audio/wav")


def upload(base, room, token, path, step):
    body, ctype = multipart("audio_file", path, audio_type(path))
    st, _, raw = request(base, "POST", f"/api/rooms/{room}/tracks", body, token,
                         {"Content-Type": ctype}, timeout=120)
    return json_of(step, st, raw, 201)["track"]


class WebSocket:
    """A minimal RFC 6455 client: text frames, masked, answers pings."""

    def __init__(self, base, path, timeout=15):
        url = urllib.parse.urlsplit(base)
        port = url.port or (443 if url.scheme == "https" else 80)
        raw = socket.create_connection((url.hostname, port), timeout=timeout)
        self.sock = CTX.wrap_socket(raw, server_hostname=url.hostname) if url.scheme == "https" else raw
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                fail("websocket handshake", f"connection closed after {head!r}")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            fail("websocket handshake", f"expected 101 Switching Protocols, got {status!r}")

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("socket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, obj, opcode=1):
        payload = json.dumps(obj).encode() if opcode == 1 else obj
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv(self):
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._read(2), "big")
            elif n == 127:
                n = int.from_bytes(self._read(8), "big")
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 9:
                self.send(payload, opcode=10)
            elif op == 8:
                raise ConnectionError(f"closed by the server: {payload[:2].hex()}")
            elif op == 1:
                return json.loads(payload)

    def wait_for(self, msg_type, step, seconds=15):
        deadline = time.time() + seconds
        seen = []
        while time.time() < deadline:
            self.sock.settimeout(max(0.1, deadline - time.time()))
            try:
                msg = self.recv()
            except (socket.timeout, TimeoutError):
                break
            except ConnectionError as e:
                fail(step, f"{e}; messages before: {seen}")
            if msg.get("type") == msg_type:
                return msg
            seen.append(msg.get("type"))
        fail(step, f"no '{msg_type}' message within {seconds}s; got {seen}")


def flow(base, audio1, audio2, state_path):
    alice = register(base, "alice")
    bob = register(base, "bob")
    st, _, raw = request(base, "POST", "/api/rooms", {"name": "room-" + uuid.uuid4().hex[:6]}, alice["token"])
    room = json_of("create room", st, raw, 201)["data"]["id"]
    st, _, raw = request(base, "POST", f"/api/rooms/{room}/join", {}, bob["token"])
    json_of("bob joins the room", st, raw, 200)

    ws = WebSocket(base, f"/ws?token={urllib.parse.quote(alice['token'])}")
    ws.send({"type": "join_room", "data": {"room_id": room}})
    ws.wait_for("room_joined", "websocket join_room -> room_joined")

    first = upload(base, room, bob["token"], audio1, "upload the first track")
    ws.wait_for("track_added", "websocket event track_added after an upload")
    second = upload(base, room, alice["token"], audio2, "upload the second track")
    if not second.get("duration_seconds", second.get("duration", 0)):
        fail("upload the second track", f"no duration in {second}")
    st, _, raw = request(base, "POST", f"/api/rooms/{room}/tracks/{second['id']}/vote", {}, bob["token"])
    vote = json_of("bob votes for the second track", st, raw, 200)
    if vote.get("vote_score") != 1:
        fail("bob votes for the second track", f"vote_score {vote.get('vote_score')}, expected 1")
    ws.wait_for("track_voted", "websocket event track_voted after a vote")
    st, _, raw = request(base, "POST", f"/api/rooms/{room}/tracks/{second['id']}/play", {}, alice["token"])
    json_of("alice plays the second track", st, raw, 200)
    ws.wait_for("playback_started", "websocket event playback_started after play")

    st, hdrs, raw = request(base, "GET", f"/api/tracks/{second['id']}/stream?token={bob['token']}",
                            headers={"Range": "bytes=0-1023"})
    if st != 206 or len(raw) != 1024:
        fail("stream a range of the track", f"expected 206 with 1024 bytes, got {st} with {len(raw)}")
    cache = {k.lower(): v for k, v in hdrs.items()}.get("cache-control", "")
    if "no-store" not in cache and "private" not in cache:
        fail("stream a range of the track", f"authenticated response is cacheable: Cache-Control {cache!r}")
    st, _, raw = request(base, "GET", f"/api/rooms/{room}", token=alice["token"])
    data = json_of("read the room", st, raw, 200)["data"]
    if (data.get("current_track") or {}).get("id") != second["id"] or not data.get("is_playing"):
        fail("read the room", f"expected track {second['id']} playing, got {data.get('current_track')}")
    with open(state_path, "w") as f:
        json.dump({"alice": alice, "bob": bob, "room": room, "tracks": [first["id"], second["id"]],
                   "sizes": [os.path.getsize(audio1), os.path.getsize(audio2)]}, f)
    print(f"flow: room {room}, tracks {first['id']} {second['id']}, websocket events received")


def login(base, user, step):
    st, _, raw = request(base, "POST", "/api/auth/login", {"email": user["email"], "password": user["password"]})
    return json_of(step, st, raw, 200)["data"]["token"]


def verify(base, state_path):
    with open(state_path) as f:
        state = json.load(f)
    token = login(base, state["alice"], "log in as a user made before the backup")
    st, _, raw = request(base, "GET", f"/api/rooms/{state['room']}/tracks", token=token)
    tracks = json_of("list the room's tracks", st, raw, 200).get("tracks", [])
    ids = sorted(t["id"] for t in tracks)
    if ids != sorted(state["tracks"]):
        fail("list the room's tracks", f"expected {sorted(state['tracks'])}, got {ids}")
    for track_id, size in zip(state["tracks"], state["sizes"]):
        st, _, raw = request(base, "GET", f"/api/tracks/{track_id}/stream?token={token}", timeout=60)
        if st != 200 or len(raw) != size:
            fail("stream a restored track", f"track {track_id}: HTTP {st}, {len(raw)} bytes, expected {size}")
    print(f"verify: room {state['room']} with {len(ids)} playable tracks")


def spread(base, count, tag):
    for i in range(count):
        st, _, raw = request(base, "GET", "/api/time", headers={"X-Request-ID": f"{tag}-{i}"})
        if st != 200:
            fail("GET /api/time", f"request {i}: HTTP {st} {raw[:200]!r}")
    print(f"spread: {count} requests answered")


def steady(base, seconds, state_path):
    with open(state_path) as f:
        state = json.load(f)
    token = state["alice"]["token"]
    deadline, n, failures = time.time() + seconds, 0, []
    while time.time() < deadline:
        try:
            st, _, raw = request(base, "GET", f"/api/rooms/{state['room']}", token=token, timeout=15)
        except OSError as e:
            st, raw = 0, str(e).encode()
        n += 1
        if st != 200:
            failures.append(f"{st} {raw[:120]!r}")
        time.sleep(0.05)
    if failures:
        fail("requests while a backend is gone", f"{len(failures)} of {n} failed: {failures[:3]}")
    print(f"steady: {n} requests, all 200")


def expect_status(url, want):
    parts = urllib.parse.urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    st, _, raw = request(f"{parts.scheme}://{parts.netloc}", "GET", path)
    if st != int(want):
        fail(f"GET {url}", f"expected {want}, got {st}: {raw[:200]!r}")
    try:
        json.loads(raw)
    except ValueError:
        fail(f"GET {url}", f"body is not JSON: {raw[:200]!r}")
    print(f"expect-status: {url} -> {st}")


def upload_size(base, state_path, mib):
    """A body of MIB MiB (not audio) must pass nginx and be judged by the backend (422/413 JSON
    from Spotik, not nginx's 413)."""
    with open(state_path) as f:
        state = json.load(f)
    boundary = "spotik" + uuid.uuid4().hex
    blob = b"\0" * (int(mib) * 1024 * 1024)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"audio_file\"; filename=\"big.wav\"\r\n"
            f"Content-Type: audio/wav\r\n\r\n").encode() + blob + f"\r\n--{boundary}--\r\n".encode()
    st, hdrs, raw = request(base, "POST", f"/api/rooms/{state['room']}/tracks", body, state["alice"]["token"],
                            {"Content-Type": f"multipart/form-data; boundary={boundary}"}, timeout=120)
    if st == 413 and b"proxy allows" in raw:
        fail("large upload", f"nginx rejected a {mib} MiB body")
    if st not in (413, 422):
        fail("large upload", f"expected the backend's 422 (not audio), got {st}: {raw[:200]!r}")
    print(f"upload-size: {mib} MiB body reached the backend ({st})")


def oversize(base, state_path):
    with open(state_path) as f:
        state = json.load(f)
    url = urllib.parse.urlsplit(base)
    port = url.port or (443 if url.scheme == "https" else 80)
    sock = socket.create_connection((url.hostname, port), timeout=15)
    if url.scheme == "https":
        sock = CTX.wrap_socket(sock, server_hostname=url.hostname)
    sock.sendall((f"POST /api/rooms/{state['room']}/tracks HTTP/1.1\r\nHost: {url.netloc}\r\n"
                  f"Authorization: Bearer {state['alice']['token']}\r\n"
                  "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 209715200\r\n"
                  "Connection: close\r\n\r\n").encode())
    reply = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    if b" 413 " not in head.split(b"\r\n", 1)[0] or b"upload limit" not in body:
        fail("oversized upload", f"expected nginx's JSON 413, got {head[:80]!r} {body[:200]!r}")
    json.loads(body)
    print("oversize: 200 MiB upload refused with a JSON 413")


def burst(base, path, count, want429):
    codes = {}
    for _ in range(int(count)):
        st, _, raw = request(base, "GET", path)
        codes[st] = codes.get(st, 0) + 1
        if st == 429:
            json.loads(raw)
    if want429 == "yes" and 429 not in codes:
        fail(f"rate limit on {path}", f"no 429 among {count} quick requests: {codes}")
    if want429 == "no" and 429 in codes:
        fail(f"no rate limit on {path}", f"{codes[429]} of {count} quick requests got 429")
    print(f"burst: {path.split('?')[0]} x{count} -> {codes}")


def main(argv):
    cmds = {"flow": (flow, 4), "verify": (verify, 2), "spread": (lambda b, c, t: spread(b, int(c), t), 3),
            "steady": (lambda b, s, p: steady(b, float(s), p), 3), "expect-status": (expect_status, 2),
            "upload-size": (upload_size, 3), "oversize": (oversize, 2), "burst": (burst, 4)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        cmds[argv[1]][0](*argv[2:])
    except StepFailed as e:
        print(f"FAILED {argv[1]}: {e}", file=sys.stderr)
        return 1
    except (OSError, KeyError, ValueError) as e:
        print(f"FAILED {argv[1]}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
