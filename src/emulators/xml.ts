/**
 * The little XML S3 speaks: writing flat documents and reading the few bodies clients send. A full parser is not
 * needed because S3's request and response bodies are shallow and element-only, and a DOMParser does not exist in Node.
 */

/** The namespace S3 writes on its response roots. */
export const S3_XML_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** A value of an element: text, a nested list of children, or nothing (the element is left out). */
export type XmlValue = string | number | boolean | undefined | XmlChild[];

/** One child element; several with the same name are several entries. */
export type XmlChild = readonly [name: string, value: XmlValue];

/** Escapes text for element content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Undoes {@link escapeXml} and numeric character references. */
export function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[entity] as string;
  });
}

function renderChildren(children: XmlChild[]): string {
  return children.map(([name, value]) => renderElement(name, value)).join('');
}

function renderElement(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  const content = Array.isArray(value) ? renderChildren(value) : escapeXml(String(value));
  return `<${name}>${content}</${name}>`;
}

/** A whole document with the XML declaration and, by default, S3's namespace on the root. */
export function xmlDocument(root: string, children: XmlChild[], namespace: string | null = S3_XML_NAMESPACE): string {
  const attributes = namespace === null ? '' : ` xmlns="${namespace}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${attributes}>${renderChildren(children)}</${root}>`;
}

function elementPattern(name: string): RegExp {
  return new RegExp(`<${name}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${name}\\s*>)`, 'g');
}

/** The inner XML of every element with this name, in document order (nested ones of the same name not supported). */
export function xmlElements(xml: string, name: string): string[] {
  return [...xml.matchAll(elementPattern(name))].map((match) => match[1] ?? '');
}

/** The unescaped, trimmed text of the first element with this name, or `undefined` when there is none. */
export function xmlText(xml: string, name: string): string | undefined {
  const inner = xmlElements(xml, name)[0];
  return inner === undefined ? undefined : unescapeXml(inner.trim());
}

/** Whether the document's root element has this name (after an optional declaration and comments). */
export function hasXmlRoot(xml: string, name: string): boolean {
  const body = xml.replace(/^\uFEFF?\s*(<\?xml[\s\S]*?\?>)?\s*(<!--[\s\S]*?-->\s*)*/, '');
  return new RegExp(`^<${name}(\\s[^>]*)?>[\\s\\S]*</${name}\\s*>\\s*$`).test(body);
}
