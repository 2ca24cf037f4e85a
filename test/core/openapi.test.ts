import { describe, expect, it } from 'bun:test';
import { testCore } from '../helpers/core.ts';

/** Every example found anywhere under an OpenAPI operation. */
function examples(node: unknown, found: unknown[] = []): unknown[] {
  if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'example') found.push(value);
      else if (key === 'examples' && Array.isArray(value)) found.push(...value);
      else examples(value, found);
    }
  }
  return found;
}

describe('/docs', () => {
  it('documents every route of the full app with a summary and at least one example', async () => {
    const { request, core } = await testCore({ plugins: undefined });
    const spec = await (await request('/docs/json')).json();
    const operations = Object.entries<Record<string, any>>(spec.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    const routes = operations.map((o) => o.route);
    for (const route of [
      'POST /webhooks/post-call',
      'POST /webhooks/client-data',
      'POST /webhooks/search-data',
    ]) {
      expect(routes).toContain(route);
    }
    const undocumented = operations
      .filter(({ op }) => !op.summary || examples(op).length === 0)
      .map(({ route }) => route);
    expect(undocumented).toEqual([]);
    await core.stop();
  });

  it('shows the request schema of the webhooks, which their auth macros hide from the generator', async () => {
    const { request, core } = await testCore({ plugins: undefined });
    const spec = await (await request('/docs/json')).json();
    const search = spec.paths['/webhooks/search-data'].post.requestBody.content['application/json'];
    expect(Object.keys(search.schema.properties)).toEqual(
      expect.arrayContaining(['query', 'search_query', 'user_id', 'caller_id', 'limit']),
    );
    expect(search.schema.examples[0]).toMatchObject({ query: 'user preferences' });
    await core.stop();
  });

  it('shows the knowledge upload body, as JSON and as a form with the file', async () => {
    const { request, core } = await testCore({ plugins: undefined });
    const spec = await (await request('/docs/json')).json();
    const content = spec.paths['/api/knowledge'].post.requestBody.content;
    expect(Object.keys(content).sort()).toEqual(['application/json', 'multipart/form-data']);
    expect(Object.keys(content['application/json'].schema.properties).sort()).toEqual([
      'name',
      'text',
      'url',
    ]);
    const form = content['multipart/form-data'].schema;
    expect(Object.keys(form.properties).sort()).toEqual(['file', 'name', 'text', 'url']);
    expect(form.properties.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(content['application/json'].example).toMatchObject({ name: 'Opening hours' });
    await core.stop();
  });
});
