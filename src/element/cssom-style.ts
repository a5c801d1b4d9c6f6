import { noChange } from 'lit';
import { Directive, PartType, directive } from 'lit/directive.js';
import type { ElementPart, PartInfo } from 'lit/directive.js';

/**
 * Sets inline style properties through CSSOM (`element.style.setProperty`), on the first render too. Lit's
 * `styleMap` writes a `style` attribute on first render, which a Content-Security-Policy without
 * `style-src 'unsafe-inline'` reports as a violation; CSSOM changes are outside the policy's reach.
 */
class CssomStyleDirective extends Directive {
  #set = new Set<string>();

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ELEMENT) throw new Error('cssomStyle() belongs in an element, not in an attribute or text.');
  }

  render(_properties: Readonly<Record<string, string>>): unknown {
    return noChange;
  }

  override update(part: ElementPart, [properties]: [Readonly<Record<string, string>>]): unknown {
    const { style } = part.element as HTMLElement;
    for (const name of this.#set) if (!(name in properties)) style.removeProperty(name);
    this.#set = new Set(Object.keys(properties));
    for (const [name, value] of Object.entries(properties)) style.setProperty(name, value);
    return noChange;
  }
}

/** `<div ${cssomStyle({ transform: 'scaleX(0.5)' })}>`: inline style without a `style` attribute in the markup. */
export const cssomStyle = directive(CssomStyleDirective);
