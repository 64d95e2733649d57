// Plugboard web chat page: plain JavaScript, no build step. Speaks the web chat protocol v1 (docs/adapters.md).
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const messages = $('messages');
  const statusEl = $('status');
  const params = new URLSearchParams(location.search);
  const hash = new URLSearchParams(location.hash.slice(1));
  let token = params.get('token') || hash.get('token') || sessionStorage.getItem('plugboard.webchat.token') || '';
  let userId = localStorage.getItem('plugboard.webchat.user');
  if (!userId) {
    userId = 'web-' + Math.random().toString(16).slice(2, 10);
    localStorage.setItem('plugboard.webchat.user', userId);
  }
  $('name').value = localStorage.getItem('plugboard.webchat.name') || '';
  if (params.get('session') === 'group') {
    document.querySelector('input[name=session][value=group]').checked = true;
  }
  if (params.get('group')) $('group').value = params.get('group');

  let socket = null;
  let retry = 0;
  let pingTimer = null;
  let tokenRequired = false;
  const bubbles = new Map();

  function setStatus(state, text) {
    statusEl.dataset.state = state;
    statusEl.textContent = text;
  }

  function sessionType() {
    return document.querySelector('input[name=session]:checked').value;
  }

  function scroll() {
    messages.scrollTop = messages.scrollHeight;
  }

  function notice(text, isError) {
    const el = document.createElement('div');
    el.className = 'notice' + (isError ? ' error' : '');
    el.textContent = text;
    messages.appendChild(el);
    scroll();
  }

  function renderChain(container, chain, fallbackText) {
    container.textContent = '';
    if (!Array.isArray(chain) || chain.length === 0) {
      container.textContent = fallbackText || '';
      return;
    }
    for (const c of chain) {
      const type = (c.type || '').toLowerCase();
      if (type === 'plain') {
        container.appendChild(document.createTextNode(c.text));
      } else if (type === 'image') {
        const img = document.createElement('img');
        img.alt = 'image';
        img.src = c.url || (c.base64 ? `data:${c.mimeType || 'image/png'};base64,${c.base64}` : '');
        container.appendChild(img);
      } else if (type === 'voice') {
        const audio = document.createElement('audio');
        audio.controls = true;
        audio.src = c.url || (c.base64 ? `data:${c.mimeType || 'audio/ogg'};base64,${c.base64}` : '');
        container.appendChild(audio);
      } else if (type === 'file') {
        const a = document.createElement('a');
        a.textContent = c.name || 'file';
        a.href = c.url || (c.base64 ? `data:${c.mimeType || 'application/octet-stream'};base64,${c.base64}` : '#');
        a.download = c.name || '';
        container.appendChild(a);
      } else if (type === 'at') {
        container.appendChild(document.createTextNode(c.display || '@' + c.userId));
      } else if (type === 'atall') {
        container.appendChild(document.createTextNode('@all'));
      } else if (type !== 'source') {
        container.appendChild(document.createTextNode(`[${c.type}]`));
      }
    }
  }

  function bubble(id, role, who, mine) {
    let el = bubbles.get(id);
    if (!el) {
      el = document.createElement('div');
      el.className = 'msg ' + (mine ? 'mine' : role);
      el.dataset.id = id;
      const label = document.createElement('span');
      label.className = 'who';
      label.textContent = who;
      const body = document.createElement('span');
      body.className = 'body';
      el.append(label, body);
      messages.appendChild(el);
      bubbles.set(id, el);
    }
    return el;
  }

  function showEntry(entry) {
    const mine = entry.role === 'user' && entry.sender && entry.sender.id === userId;
    const who = entry.role === 'assistant' ? 'bot' : (mine ? 'you' : (entry.sender.name || entry.sender.id));
    const el = bubble(entry.id, entry.role, who, mine);
    el.dataset.final = 'true';
    renderChain(el.querySelector('.body'), entry.chain, entry.text);
    scroll();
  }

  function showResponse(data) {
    const el = bubble(data.id, 'assistant', 'bot', false);
    el.dataset.final = data.isFinal ? 'true' : 'false';
    if (data.chain) {
      renderChain(el.querySelector('.body'), data.chain, data.content);
    } else {
      el.querySelector('.body').textContent = data.content;
    }
    scroll();
  }

  function onFrame(frame) {
    switch (frame.type) {
      case 'connected':
        retry = 0;
        setStatus('connected', `connected as ${frame.user.name} · ${frame.session.type} ${frame.session.type === 'group' ? frame.session.id : ''}`);
        document.title = frame.title;
        $('title').textContent = frame.title;
        break;
      case 'history':
        messages.textContent = '';
        bubbles.clear();
        frame.messages.forEach(showEntry);
        break;
      case 'message':
        showEntry(frame.message);
        break;
      case 'response':
        showResponse(frame.data);
        break;
      case 'reset':
        messages.textContent = '';
        bubbles.clear();
        notice('The conversation was reset.');
        break;
      case 'broadcast':
        notice(frame.message);
        break;
      case 'error':
        notice(frame.message, true);
        break;
      default:
        break; // pong, routed: nothing to show
    }
  }

  function connect() {
    if (tokenRequired && !token) {
      $('token-form').hidden = false;
      setStatus('closed', 'token needed');
      return;
    }
    const query = new URLSearchParams({ session: sessionType(), user: userId });
    const name = $('name').value.trim();
    if (name) query.set('name', name);
    if (sessionType() === 'group') query.set('id', $('group').value.trim() || 'lobby');
    if (token) query.set('token', token);
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    setStatus('connecting', 'connecting…');
    const ws = new WebSocket(`${scheme}://${location.host}/ws?${query}`);
    socket = ws;
    ws.onmessage = (event) => {
      try {
        onFrame(JSON.parse(event.data));
      } catch (e) {
        notice('Unreadable frame from the server: ' + e, true);
      }
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      clearInterval(pingTimer);
      setStatus('closed', 'disconnected — reconnecting…');
      if (event.code === 1008 || event.code === 4401) return;
      const delay = Math.min(10000, 500 * 2 ** retry++);
      setTimeout(() => { if (socket === ws) connect(); }, delay);
    };
    ws.onopen = () => {
      clearInterval(pingTimer);
      pingTimer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"type":"ping"}'), 25000);
    };
  }

  function reconnect() {
    const old = socket;
    socket = null;
    if (old) old.close(1000, 'switching session');
    retry = 0;
    connect();
  }

  $('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('input');
    const text = input.value.trim();
    if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: 'message', message: [{ type: 'plain', text }], clientId: String(Date.now()) }));
    input.value = '';
  });
  $('reset').addEventListener('click', () => socket && socket.readyState === WebSocket.OPEN && socket.send('{"type":"reset"}'));
  document.querySelectorAll('input[name=session]').forEach((el) => el.addEventListener('change', reconnect));
  $('group').addEventListener('change', () => sessionType() === 'group' && reconnect());
  $('name').addEventListener('change', () => { localStorage.setItem('plugboard.webchat.name', $('name').value.trim()); reconnect(); });
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    token = $('token').value.trim();
    sessionStorage.setItem('plugboard.webchat.token', token);
    $('token-form').hidden = true;
    reconnect();
  });

  fetch('api/info')
    .then((r) => r.json())
    .then((info) => {
      tokenRequired = !!info.tokenRequired;
      document.title = info.title;
      $('title').textContent = info.title;
    })
    .catch(() => {})
    .finally(connect);
})();
