'use strict';
// Baseline room server for bench/ws/ws_bench.sh: the subset of Spotik's real-time API that the
// load generator uses, written the ordinary way with Node.js and the `ws` package. One process,
// everything in memory (no database), same JSON shapes as Spotik (CONTRACT §4.1, §5.2, §5.7,
// §6.3, §6.5, §9):
//
//   POST   /api/auth/register                   -> 201 {data: {user, token}}; HS256 JWT signed here
//   POST   /api/rooms                           -> 201 {data: Room}; the creator is a participant
//   POST   /api/rooms/{room}/join               -> 200 {data: {room, participant}}
//   POST   /api/rooms/{room}/tracks             -> 201 {track}; the body is read and not kept
//   POST   /api/rooms/{room}/tracks/{id}/vote   -> 200 {message, vote_score, user_has_voted}
//   DELETE /api/rooms/{room}/tracks/{id}/vote   -> the same; both broadcast track_voted
//   GET    /live                                -> 200
//   GET    /ws?token=<jwt>                      -> WebSocket; 401 without upgrade on a bad token
//
// On the socket: connection_established on connect; join_room {room_id, last_seq?} -> room_joined
// {room, last_seq} (then the missed events from a bounded per-room history); ping -> pong;
// leave_room -> room_left. Every room event carries a per-room seq; track_voted goes to every
// socket of the room except the voter's own. Protocol pings every WS_PING_INTERVAL seconds and a
// socket that has not answered the previous one is terminated; a socket with more than
// WS_MAX_QUEUE_BYTES unsent is closed (1008), as Spotik does.
//
// Environment: PORT (required), JWT_SECRET (required), WS_PING_INTERVAL (30), WS_HISTORY_SIZE
// (256), WS_MAX_QUEUE_BYTES (1048576), WS_MAX_MESSAGE_BYTES (65536). Listens on 127.0.0.1 only.

const http = require('node:http');
const crypto = require('node:crypto');
const { WebSocketServer, WebSocket } = require('ws');

const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT);
const SECRET = process.env.JWT_SECRET || '';
const ISSUER = 'spotik';
const TOKEN_TTL_S = 3600;
const PING_INTERVAL_MS = Number(process.env.WS_PING_INTERVAL || 30) * 1000;
const HISTORY_SIZE = Number(process.env.WS_HISTORY_SIZE || 256);
const MAX_QUEUE_BYTES = Number(process.env.WS_MAX_QUEUE_BYTES || 1048576);
const MAX_MESSAGE_BYTES = Number(process.env.WS_MAX_MESSAGE_BYTES || 65536);
const MAX_BODY_BYTES = 64 * 1024 * 1024;

if (!Number.isInteger(PORT) || PORT <= 0 || SECRET.length < 16) {
  console.error('baseline: PORT and JWT_SECRET (16+ characters) are required');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// JWT (HS256), the same claims as Spotik: sub, jti, iss, iat, nbf, exp, username, email.

const JWT_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function sign(user) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub: user.id, jti: crypto.randomBytes(16).toString('hex'), iss: ISSUER,
    iat: now, nbf: now, exp: now + TOKEN_TTL_S, username: user.username, email: user.email,
  };
  const input = `${JWT_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${crypto.createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

// The user of a valid token, or null.
function verify(token) {
  if (typeof token !== 'string' || token.length > 8192) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== JWT_HEADER) return null;
  const expected = crypto.createHmac('sha256', SECRET).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
  let claims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== ISSUER || !(claims.exp > now) || claims.nbf > now) return null;
  return users.get(claims.sub) || null;
}

function bearer(req) {
  const h = req.headers.authorization || '';
  return h.startsWith('Bearer ') ? verify(h.slice(7)) : null;
}

// ---------------------------------------------------------------------------------------------
// State and JSON shapes.

const users = new Map(); // id -> user
const usernames = new Set();
const rooms = new Map(); // id -> room

const iso = (ms) => new Date(ms).toISOString();
const userJson = (u) => ({ id: u.id, username: u.username, email: u.email, created_at: iso(u.created), updated_at: iso(u.created) });
const briefUser = (u) => ({ id: u.id, username: u.username });

function trackJson(t) {
  return {
    id: t.id, room_id: t.room.id, uploader_id: t.uploader.id, filename: `${t.id}.wav`,
    original_name: t.name, duration_seconds: 1, formatted_duration: '0:01', file_size_bytes: t.size,
    formatted_file_size: `${(t.size / 1024).toFixed(2)} KB`, mime_type: 'audio/wav',
    vote_score: t.votes.size, votes_count: t.votes.size, uploader: briefUser(t.uploader),
    user_has_voted: false, file_url: `/api/tracks/${t.id}/stream`, cover_url: null,
    created_at: iso(t.created), updated_at: iso(t.updated),
  };
}

function participantJson(room, p) {
  return {
    id: p.user.id, participant_id: p.id, user_id: p.user.id, username: p.user.username,
    joined_at: iso(p.joined), duration_in_room: 'Just joined',
    is_administrator: p.user.id === room.admin.id, user: userJson(p.user),
  };
}

function roomJson(room, viewer) {
  const current = room.current ? trackJson(room.current) : null;
  const participants = [];
  for (const p of room.participants.values()) participants.push(participantJson(room, p));
  const o = {
    id: room.id, name: room.name, description: null, administrator_id: room.admin.id,
    administrator: userJson(room.admin), current_track_id: current ? current.id : null, current_track: current,
    is_playing: !!room.startedAt, playback_started_at: room.startedAt ? iso(room.startedAt) : null,
    playback_paused_at: null, current_playback_position: 0, participant_count: participants.length,
    participants, track_count: room.tracks.size, cover_url: null, created_at: iso(room.created), updated_at: iso(room.updated),
  };
  if (viewer) {
    o.is_administrator = viewer.id === room.admin.id;
    o.is_participant = room.participants.has(viewer.id);
    o.user = userJson(viewer);
  }
  return o;
}

const frame = (type, data) => JSON.stringify({ type, data, timestamp: Date.now() / 1000 });

// Publishes a room event: next seq, serialized once, kept in the history, sent to the room's
// sockets (except those of excludeUserId).
function publish(room, type, data, excludeUserId) {
  const seq = ++room.seq;
  const now = Date.now();
  data.room_id = room.id;
  data.server_time = iso(now);
  data.server_time_ms = now;
  data.seq = seq;
  const payload = Buffer.from(JSON.stringify({ type, data, timestamp: now / 1000, seq }));
  room.history.push({ seq, payload });
  if (room.history.length > HISTORY_SIZE) room.history.shift();
  for (const ws of room.sockets) {
    if (ws.user.id !== excludeUserId) deliver(ws, payload);
  }
}

function deliver(ws, payload) {
  if (ws.readyState !== WebSocket.OPEN) return;
  if (ws.bufferedAmount + payload.length > MAX_QUEUE_BYTES) {
    ws.close(1008, 'Too slow');
    return;
  }
  ws.send(payload, { binary: false });
}

// ---------------------------------------------------------------------------------------------
// HTTP.

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
      } else {
        chunks.push(c);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(buf) {
  try {
    const v = JSON.parse(buf.toString('utf8') || '{}');
    return v && typeof v === 'object' ? v : {};
  } catch {
    return null;
  }
}

const notFound = (res) => send(res, 404, { success: false, message: 'Not found', error: 'Not found' });
const unauthorized = (res) => send(res, 401, { success: false, message: 'Authentication failed', error: 'Token is invalid' });

async function register(req, res) {
  const b = parseJson(await readBody(req));
  if (!b || typeof b.username !== 'string' || !b.username || typeof b.email !== 'string' ||
      typeof b.password !== 'string' || b.password.length < 8 || b.password !== b.password_confirmation) {
    return send(res, 422, { success: false, message: 'Validation failed', errors: {} });
  }
  if (usernames.has(b.username)) {
    return send(res, 422, { success: false, message: 'Validation failed', errors: { username: ['The username has already been taken.'] } });
  }
  const user = { id: crypto.randomUUID(), username: b.username, email: b.email.trim().toLowerCase(), created: Date.now() };
  users.set(user.id, user);
  usernames.add(user.username);
  const u = userJson(user);
  delete u.updated_at;
  send(res, 201, {
    success: true, message: 'User registered successfully',
    data: { user: u, token: sign(user), token_type: 'bearer', expires_in: TOKEN_TTL_S },
  });
}

function addParticipant(room, user) {
  const p = { id: crypto.randomUUID(), user, joined: Date.now() };
  room.participants.set(user.id, p);
  return p;
}

async function createRoom(req, res, user) {
  const b = parseJson(await readBody(req));
  const name = b && typeof b.name === 'string' ? b.name.trim() : '';
  if (!name || name.length > 100) {
    return send(res, 422, { success: false, message: 'Validation failed', errors: { name: ['The name field is required.'] } });
  }
  const now = Date.now();
  const room = {
    id: crypto.randomUUID(), name, admin: user, created: now, updated: now, startedAt: null, current: null,
    participants: new Map(), tracks: new Map(), sockets: new Set(), seq: 0, history: [],
  };
  addParticipant(room, user);
  rooms.set(room.id, room);
  send(res, 201, { success: true, message: 'Room created successfully', data: roomJson(room, user) });
}

async function joinRoom(req, res, user, room) {
  await readBody(req);
  let p = room.participants.get(user.id);
  if (p) {
    return send(res, 200, {
      success: true, message: 'You are already in this room',
      data: { room: roomJson(room, user), participant: { id: p.id, room_id: room.id, user_id: user.id, joined_at: iso(p.joined) } },
    });
  }
  p = addParticipant(room, user);
  publish(room, 'user_joined', {
    user: { id: user.id, user_id: user.id, username: user.username, joined_at: iso(p.joined), is_administrator: false },
    participant_count: room.participants.size, message: `${user.username} joined the room`,
  }, user.id);
  const pj = participantJson(room, p);
  delete pj.user;
  send(res, 200, { success: true, message: 'Successfully joined the room', data: { room: roomJson(room, user), participant: pj } });
}

async function upload(req, res, user, room) {
  const body = await readBody(req); // accepted as it is: the baseline keeps no files
  if (!room.participants.has(user.id)) return send(res, 403, { error: 'You must be a participant of this room to upload tracks' });
  const now = Date.now();
  const track = { id: crypto.randomUUID(), room, uploader: user, name: 'bench.wav', size: body.length, votes: new Set(), created: now, updated: now };
  room.tracks.set(track.id, track);
  publish(room, 'track_added', { track: trackJson(track), uploader: briefUser(user), message: `${user.username} added "bench.wav"` });
  if (!room.current) {
    room.current = track;
    room.startedAt = now;
    publish(room, 'playback_started', { is_playing: true, track: trackJson(track), playback_started_at: iso(now), started_at: iso(now), position: 0 });
  }
  send(res, 201, { message: 'Track uploaded successfully', track: trackJson(track) });
}

async function vote(req, res, user, room, trackId, add) {
  await readBody(req);
  if (!room.participants.has(user.id)) {
    return send(res, 403, { error: add ? 'You must be a participant of this room to vote' : 'You must be a participant of this room to remove votes' });
  }
  const track = room.tracks.get(trackId);
  if (!track) return send(res, 404, { error: 'Track does not belong to this room' });
  const changed = add ? !track.votes.has(user.id) : track.votes.has(user.id);
  if (changed) {
    if (add) track.votes.add(user.id);
    else track.votes.delete(user.id);
    track.updated = Date.now();
    const voter = briefUser(user);
    publish(room, 'track_voted', {
      track: trackJson(track), voter, user: voter, vote_added: add, new_vote_score: track.votes.size,
      message: `${user.username} ${add ? 'voted for' : 'removed a vote for'} "${track.name}"`,
    }, user.id);
  }
  const message = add ? (changed ? 'Vote added successfully' : 'Vote already exists')
    : (changed ? 'Vote removed successfully' : 'No vote to remove');
  send(res, 200, { message, vote_score: track.votes.size, user_has_voted: add });
}

const ROOM_ROUTE = /^\/api\/rooms\/([0-9a-f-]{36})(?:\/(join|tracks)(?:\/([0-9a-f-]{36})\/vote)?)?$/;

async function route(req, res) {
  const path = req.url.split('?')[0];
  if (req.method === 'GET' && path === '/live') return send(res, 200, { alive: true });
  if (req.method === 'POST' && path === '/api/auth/register') return register(req, res);
  if (path === '/ws') return send(res, 400, { error: 'WebSocket upgrade required' });
  const user = bearer(req);
  if (req.method === 'POST' && path === '/api/rooms') return user ? createRoom(req, res, user) : unauthorized(res);
  const m = ROOM_ROUTE.exec(path);
  if (!m) return notFound(res);
  if (!user) return unauthorized(res);
  const room = rooms.get(m[1]);
  if (!room) return send(res, 404, { success: false, message: 'Room not found', error: 'Room not found' });
  const [, , what, trackId] = m;
  if (what === 'join' && req.method === 'POST') return joinRoom(req, res, user, room);
  if (what === 'tracks' && !trackId && req.method === 'POST') return upload(req, res, user, room);
  if (what === 'tracks' && trackId && (req.method === 'POST' || req.method === 'DELETE')) {
    return vote(req, res, user, room, trackId, req.method === 'POST');
  }
  return notFound(res);
}

const server = http.createServer((req, res) => {
  route(req, res).catch((e) => {
    if (!res.headersSent) send(res, 500, { error: 'Internal error', message: String(e && e.message) });
  });
});
server.keepAliveTimeout = 65000;

// ---------------------------------------------------------------------------------------------
// WebSocket.

const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost');
  const user = url.pathname === '/ws' ? verify(url.searchParams.get('token')) : null;
  if (!user) {
    const body = JSON.stringify({ success: false, message: 'Authentication failed', error: 'Invalid or missing JWT token' });
    socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.user = user;
    wss.emit('connection', ws, req);
  });
});

function leave(ws) {
  if (ws.room) ws.room.sockets.delete(ws);
  ws.room = null;
}

function onMessage(ws, raw, isBinary) {
  let msg;
  try {
    msg = isBinary ? null : JSON.parse(raw.toString('utf8'));
  } catch {
    msg = null;
  }
  if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') {
    ws.send(frame('error', { error_code: 'invalid_message', message: 'Messages are JSON objects with a string type' }));
    return;
  }
  const data = msg.data && typeof msg.data === 'object' ? msg.data : {};
  switch (msg.type) {
    case 'join_room': {
      const room = rooms.get(data.room_id);
      if (!room) return ws.send(frame('error', { error_code: 'room_not_found', message: 'Room not found' }));
      if (!room.participants.has(ws.user.id)) {
        return ws.send(frame('error', { error_code: 'access_denied', message: 'You are not a participant of this room' }));
      }
      if (ws.room !== room) leave(ws);
      ws.send(frame('room_joined', {
        room: roomJson(room, ws.user), message: `Joined room: ${room.name}`, websocket_connected: true,
        connection_id: ws.connectionId, last_seq: room.seq,
      }));
      const last = Number.isInteger(data.last_seq) ? data.last_seq : null;
      if (last !== null && last < room.seq) {
        const oldest = room.history.length ? room.history[0].seq : room.seq + 1;
        if (last + 1 < oldest) {
          ws.send(frame('room_state', { room: roomJson(room, ws.user), websocket_connected: true, recovered: false, last_seq: room.seq }));
        } else {
          for (const e of room.history) if (e.seq > last) deliver(ws, e.payload);
        }
      }
      ws.room = room;
      room.sockets.add(ws);
      return undefined;
    }
    case 'leave_room':
      leave(ws);
      return ws.send(frame('room_left', { message: 'Left room successfully' }));
    case 'ping': {
      const now = Date.now();
      return ws.send(frame('pong', { client_time: data.client_time ?? null, server_receive_ms: now, server_send_ms: now, server_time_ms: now }));
    }
    default:
      return ws.send(frame('error', { error_code: 'unknown_message_type', message: `Unknown message type: ${msg.type}` }));
  }
}

wss.on('connection', (ws) => {
  ws.connectionId = crypto.randomBytes(16).toString('hex');
  ws.room = null;
  ws.isAlive = true;
  ws.on('pong', () => { ws.isAlive = true; });
  ws.on('message', (raw, isBinary) => onMessage(ws, raw, isBinary));
  ws.on('close', () => leave(ws));
  ws.on('error', () => leave(ws));
  ws.send(frame('connection_established', {
    connection_id: ws.connectionId, user: userJson(ws.user), server_time: iso(Date.now()),
    message: 'WebSocket connection authenticated successfully',
  }));
});

// The heartbeat of the ws README: ping everyone, terminate those that missed the previous ping.
const heartbeat = setInterval(() => {
  for (const ws of wss.clients) {
    if (!ws.isAlive) {
      ws.terminate();
      continue;
    }
    ws.isAlive = false;
    ws.ping();
  }
}, PING_INTERVAL_MS);

function shutdown() {
  clearInterval(heartbeat);
  for (const ws of wss.clients) ws.close(1001, 'Server shutting down');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(PORT, HOST, () => {
  console.log(`baseline (node ${process.version}, ws) listening on http://${HOST}:${PORT}`);
});
