// The view library: Preact components written as htm tagged templates, so
// that the console runs as plain ES modules with no build step.
import { Component, createContext, Fragment, h, render } from '../vendor/preact/preact.mjs';
import htm from '../vendor/htm/htm.mjs';

export const html = htm.bind(h);
export { Component, createContext, Fragment, render };
