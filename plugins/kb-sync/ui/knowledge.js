(function knowledgePage() {
  const KEY = 'elaoms.adminKey';
  const API = '/api/knowledge';
  const $ = (id) => document.getElementById(id);
  const retried = new Map();
  const openDetails = new Set();
  let timer = 0;
  let toastTimer = 0;

  function key() {
    return sessionStorage.getItem(KEY) || '';
  }

  function showSignIn(message) {
    $('app').hidden = true;
    $('signout').hidden = true;
    $('signin').hidden = false;
    $('signin-error').textContent = message || '';
    $('key').focus();
  }

  function showApp() {
    $('signin').hidden = true;
    $('app').hidden = false;
    $('signout').hidden = false;
  }

  async function api(path, init) {
    const options = init || {};
    const headers = Object.assign({ 'x-api-key': key() }, options.headers || {});
    const response = await fetch(path, Object.assign({}, options, { headers }));
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    if (response.status === 401) {
      sessionStorage.removeItem(KEY);
      showSignIn('The key was not accepted. Sign in again.');
      throw new Error('unauthorized');
    }
    if (!response.ok) throw new Error(body?.detail || 'Request failed (' + response.status + ')');
    return body;
  }

  function toast(message, failed) {
    const el = $('toast');
    el.textContent = message;
    el.classList.toggle('error', Boolean(failed));
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function hide() {
      el.hidden = true;
    }, 4000);
  }

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children || []) if (child != null) node.append(child);
    return node;
  }

  function cell(label, children, className) {
    const td = el('td', { className: className || '' }, [el('div', {}, children)]);
    td.dataset.label = label;
    return td;
  }

  function statusCell(doc) {
    const badge = el('span', { className: 'badge ' + doc.sync_status }, [
      doc.sync_status === 'syncing' ? el('span', { className: 'spinner' }) : null,
      doc.sync_status,
    ]);
    badge.dataset.status = doc.sync_status;
    const parts = [badge];
    if (doc.sync_error_message) {
      const details = el('details', { open: openDetails.has(doc.id) }, [
        el('summary', { textContent: 'Error details' }),
        el('p', {
          textContent: doc.sync_error_message + (doc.sync_error_type ? ' (' + doc.sync_error_type + ')' : ''),
        }),
        doc.sync_error_detail ? el('p', { className: 'sub', textContent: doc.sync_error_detail }) : null,
      ]);
      details.dataset.action = 'details';
      details.addEventListener('toggle', function remember() {
        if (details.open) openDetails.add(doc.id);
        else openDetails.delete(doc.id);
      });
      parts.push(details);
    }
    return cell('Status', parts);
  }

  function actionsCell(doc) {
    const buttons = [];
    if (doc.sync_status === 'failed' || doc.sync_status === 'syncing') {
      const retry = el('button', { type: 'button', textContent: 'Retry Sync', className: 'retry' });
      retry.dataset.action = 'retry';
      retry.disabled = doc.sync_status === 'syncing';
      retry.setAttribute('aria-label', 'Retry sync of ' + doc.name);
      retry.addEventListener('click', function onRetry() {
        retrySync(doc, retry);
      });
      buttons.push(retry);
    }
    const del = el('button', { type: 'button', textContent: 'Delete', className: 'danger' });
    del.dataset.action = 'delete';
    del.disabled = doc.sync_status === 'syncing';
    del.setAttribute('aria-label', 'Delete ' + doc.name);
    del.addEventListener('click', function onDelete() {
      remove(doc, del);
    });
    buttons.push(del);
    const td = el('td', { className: 'actions' }, buttons);
    return td;
  }

  function row(doc) {
    const source =
      doc.source_type === 'url'
        ? doc.url
        : doc.source_type === 'file'
          ? doc.file_name
          : doc.size + ' characters';
    const tr = el('tr', {}, [
      cell('Name', [el('span', { className: 'name', textContent: doc.name })]),
      cell('Source', [doc.source_type, el('span', { className: 'sub', textContent: source || '' })]),
      statusCell(doc),
      cell('Retries', [doc.sync_retry_count > 0 ? String(doc.sync_retry_count) : '']),
      cell('Updated', [
        new Date(doc.updated_at).toLocaleString([], { dateStyle: 'short', timeStyle: 'medium' }),
      ]),
      actionsCell(doc),
    ]);
    tr.dataset.id = doc.id;
    return tr;
  }

  /** Where keyboard focus is inside the table, so a refresh does not throw it away. */
  function focusedSpot() {
    const active = document.activeElement;
    const tr = active?.closest ? active.closest('#rows tr') : null;
    if (!tr) return null;
    const holder = active.closest('[data-action]');
    return { id: tr.dataset.id, action: holder ? holder.dataset.action : '' };
  }

  function restoreFocus(spot) {
    if (!spot) return;
    const tr = $('rows').querySelector('tr[data-id="' + CSS.escape(spot.id) + '"]');
    if (!tr) return;
    const same = tr.querySelector('[data-action="' + spot.action + '"]');
    const target = same && !same.disabled ? same : tr.querySelector('button:not(:disabled)');
    if (target) (target.tagName === 'DETAILS' ? target.querySelector('summary') : target).focus();
  }

  function render(data) {
    const rows = $('rows');
    const spot = focusedSpot();
    rows.replaceChildren(...data.documents.map(row));
    restoreFocus(spot);
    $('empty').hidden = data.documents.length > 0;
    const c = data.counts;
    $('counts').textContent =
      `${c.completed} completed · ${c.pending} pending · ${c.syncing} syncing · ${c.failed} failed`;
    const banner = $('banner');
    banner.hidden = data.sync_enabled;
    banner.textContent = data.sync_enabled
      ? ''
      : 'Sync is off: ELEVENLABS_API_KEY is not configured. Documents are kept and wait as pending.';
    for (const doc of data.documents) {
      if (retried.has(doc.id) && doc.sync_status === 'completed') {
        retried.delete(doc.id);
        toast('“' + doc.name + '” synced to ElevenLabs');
      } else if (retried.has(doc.id) && doc.sync_status === 'failed') {
        retried.delete(doc.id);
      }
    }
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const data = await api(API + '?limit=200');
      showApp();
      render(data);
      const busy = data.documents.some((d) => d.sync_status === 'pending' || d.sync_status === 'syncing');
      // Fast while something is on its way; slowly otherwise, to notice other admins' uploads.
      timer = setTimeout(refresh, busy && data.sync_enabled ? 1500 : 15000);
    } catch (error) {
      if (error.message === 'unauthorized') return;
      if ($('app').hidden) showSignIn(error.message);
      else $('add-status').textContent = error.message;
    }
  }

  async function retrySync(doc, button) {
    button.disabled = true;
    try {
      await api(API + '/' + encodeURIComponent(doc.id) + '/retry-sync', { method: 'POST' });
      retried.set(doc.id, true);
      toast('Retrying sync of “' + doc.name + '”');
    } catch (error) {
      if (error.message !== 'unauthorized') toast(error.message, true);
    }
    refresh();
  }

  async function remove(doc, button) {
    if (!confirm('Delete “' + doc.name + '” here and at ElevenLabs?')) return;
    button.disabled = true;
    try {
      await api(API + '/' + encodeURIComponent(doc.id), { method: 'DELETE' });
      toast('Deleted “' + doc.name + '”');
    } catch (error) {
      if (error.message !== 'unauthorized') toast(error.message, true);
    }
    refresh();
  }

  function kind() {
    return document.querySelector('input[name=kind]:checked').value;
  }

  function showKind() {
    for (const block of document.querySelectorAll('[data-kind]'))
      block.hidden = block.dataset.kind !== kind();
  }

  async function upload(event) {
    event.preventDefault();
    const status = $('add-status');
    const name = $('doc-name').value.trim();
    let init;
    if (kind() === 'file') {
      const file = $('doc-file').files[0];
      if (!file) {
        status.textContent = 'Choose a file.';
        $('doc-file').focus();
        return;
      }
      const form = new FormData();
      if (name) form.append('name', name);
      form.append('file', file);
      init = { method: 'POST', body: form };
    } else {
      const field = kind() === 'url' ? $('doc-url') : $('doc-text');
      const value = field.value.trim();
      if (!value) {
        status.textContent = 'Enter the ' + (kind() === 'url' ? 'URL' : 'text') + '.';
        field.focus();
        return;
      }
      const body = kind() === 'url' ? { url: value } : { text: value };
      if (name) body.name = name;
      init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    }
    $('add-button').disabled = true;
    status.textContent = 'Uploading…';
    try {
      const doc = await api(API, init);
      status.textContent = 'Added “' + doc.name + '”; syncing in the background.';
      $('add-form').reset();
      showKind();
    } catch (error) {
      if (error.message !== 'unauthorized') status.textContent = error.message;
    } finally {
      $('add-button').disabled = false;
    }
    refresh();
  }

  $('signin-form').addEventListener('submit', function signIn(event) {
    event.preventDefault();
    const value = $('key').value.trim();
    if (!value) {
      $('signin-error').textContent = 'Enter the admin API key.';
      return;
    }
    sessionStorage.setItem(KEY, value);
    $('key').value = '';
    refresh();
  });
  $('signout').addEventListener('click', function signOut() {
    sessionStorage.removeItem(KEY);
    clearTimeout(timer);
    showSignIn('');
  });
  for (const radio of document.querySelectorAll('input[name=kind]'))
    radio.addEventListener('change', showKind);
  $('add-form').addEventListener('submit', upload);
  $('refresh').addEventListener('click', refresh);

  if (key()) refresh();
  else showSignIn('');
})();
