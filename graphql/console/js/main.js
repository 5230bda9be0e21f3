// The console's entry point.
import { html, render } from './ui.js';
import { App } from './views/app.js';

render(html`<${App} />`, document.getElementById('app'));
