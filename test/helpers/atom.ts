import { parseAtomFeed } from 'feedsmith';
import { SaxesParser } from 'saxes';

const ATOM = 'http://www.w3.org/2005/Atom';

/**
 * Reads an Atom document as a feed reader would, after checking it against the rules of RFC 4287 that
 * a parser lets pass: the XML is well-formed (saxes, a conformant XML parser: a stray `&` or `<`, a
 * control character, an undefined entity all fail), the root is atom:feed, the
 * feed has exactly one id, title and updated, a link rel="self", an author (or one in every entry);
 * each entry exactly one id, title and updated; every date RFC 3339 (§3.3: upper-case T and Z); ids
 * and link targets absolute URIs; no two entries with one id. Returns feedsmith's parse of it.
 */
export function parseValidAtom(xml: string) {
  const feed = elementTree(xml);
  expectRule(feed.uri === ATOM && feed.name === 'feed', 'the document is one atom:feed');

  exactlyOne(feed, 'id', 'feed');
  exactlyOne(feed, 'title', 'feed');
  exactlyOne(feed, 'updated', 'feed');
  for (const name of ['subtitle', 'rights', 'generator', 'icon', 'logo']) atMostOne(feed, name, 'feed');
  uri(text(children(feed, 'id')[0]!), 'the feed id');
  date(text(children(feed, 'updated')[0]!), 'the feed updated');
  const links = children(feed, 'link');
  expectRule(
    links.some((link) => link.attributes.rel === 'self'),
    'the feed has a link rel="self"',
  );
  for (const link of links) absolute(String(link.attributes.href), 'a feed link');
  for (const author of children(feed, 'author')) exactlyOne(author, 'name', 'a feed author');

  const entries = children(feed, 'entry');
  const feedHasAuthor = children(feed, 'author').length > 0;
  expectRule(
    feedHasAuthor || (entries.length > 0 && entries.every((entry) => children(entry, 'author').length > 0)),
    'an author at feed level, or in every entry (§4.1.1)',
  );
  const ids = new Set<string>();
  entries.forEach((entry, index) => {
    const where = `entry ${index + 1}`;
    exactlyOne(entry, 'id', where);
    exactlyOne(entry, 'title', where);
    exactlyOne(entry, 'updated', where);
    for (const name of ['published', 'summary', 'content', 'rights', 'source']) atMostOne(entry, name, where);
    const id = text(children(entry, 'id')[0]!);
    uri(id, `the id of ${where}`);
    expectRule(!ids.has(id), `${where} has an id of its own`);
    ids.add(id);
    date(text(children(entry, 'updated')[0]!), `the updated of ${where}`);
    for (const published of children(entry, 'published')) date(text(published), `the published of ${where}`);
    for (const link of children(entry, 'link')) absolute(String(link.attributes.href), `a link of ${where}`);
    for (const author of children(entry, 'author')) exactlyOne(author, 'name', `an author of ${where}`);
    for (const category of children(entry, 'category'))
      expectRule(typeof category.attributes.term === 'string', `a category of ${where} has a term`);
    // §4.1.1.1: an entry with no content has a summary
    if (children(entry, 'content').length === 0) exactlyOne(entry, 'summary', where);
  });
  return parseAtomFeed(xml);
}

interface Node {
  uri: string;
  name: string;
  attributes: Record<string, string>;
  children: Node[];
  text: string;
}

/** The document's root element, each element with its namespace, attributes, children and text; throws when not well-formed. */
function elementTree(xml: string): Node {
  const parser = new SaxesParser({ xmlns: true });
  const open: Node[] = [];
  let root: Node | undefined;
  parser.on('error', (error) => {
    throw new Error(`not well-formed XML: ${error.message}`);
  });
  parser.on('opentag', (tag) => {
    const node: Node = {
      uri: tag.uri,
      name: tag.local,
      attributes: Object.fromEntries(Object.values(tag.attributes).map((a) => [a.name, a.value])),
      children: [],
      text: '',
    };
    const parent = open.at(-1);
    if (parent) parent.children.push(node);
    else root = node;
    open.push(node);
  });
  parser.on('text', (text) => {
    const current = open.at(-1);
    if (current) current.text += text;
  });
  parser.on('closetag', () => {
    open.pop();
  });
  parser.write(xml).close();
  if (!root) throw new Error('not well-formed XML: no root element');
  return root;
}

/** The Atom elements of this name directly inside a node. */
function children(node: Node, name: string): Node[] {
  return node.children.filter((child) => child.uri === ATOM && child.name === name);
}

function text(node: Node): string {
  return node.text;
}

function expectRule(holds: boolean, rule: string): void {
  if (!holds) throw new Error(`Atom: ${rule}`);
}

function exactlyOne(node: Node, name: string, where: string): void {
  const count = children(node, name).length;
  expectRule(count === 1, `${where} has exactly one ${name} (found ${count})`);
}

function atMostOne(node: Node, name: string, where: string): void {
  expectRule(children(node, name).length <= 1, `${where} has at most one ${name}`);
}

const RFC3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function date(value: string, what: string): void {
  expectRule(
    RFC3339.test(value) && !Number.isNaN(Date.parse(value)),
    `${what} is an RFC 3339 date-time: ${value}`,
  );
}

function uri(value: string, what: string): void {
  expectRule(/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value), `${what} is an absolute URI: ${value}`);
}

function absolute(value: string, what: string): void {
  expectRule(
    URL.canParse(value) && /^https?:\/\//.test(value),
    `${what} is an absolute http(s) URL: ${value}`,
  );
}
