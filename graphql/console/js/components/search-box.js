// A search box that searches once typing pauses (one request per word,
// not one per key) and at once on Enter. The search shown comes from the
// URL; the box keeps what is being typed until the pause.
import { debounce } from '../debounce.js';
import { Component, html } from '../ui.js';

/// Typing waits this long for the next key before searching.
export const SEARCH_DELAY_MS = 300;

/// Props: `id` (of the <input>), `label`, `placeholder`, `value` (the
/// search in effect), `onSearch(text)` (trimmed).
export class SearchBox extends Component {
  constructor(props) {
    super(props);
    this.state = { input: props.value };
    this.typing = false;
    this.searchLater = debounce((text) => this.search(text), SEARCH_DELAY_MS);
  }

  componentDidUpdate(previous) {
    // Back, forward or a link changed the search: show it in the box.
    if (previous.value !== this.props.value && !this.typing && this.props.value !== this.state.input) {
      this.setState({ input: this.props.value });
    }
  }

  componentWillUnmount() {
    this.searchLater.cancel();
  }

  search(text) {
    this.typing = false;
    this.props.onSearch(text.trim());
  }

  onInput = (event) => {
    this.typing = true;
    this.setState({ input: event.currentTarget.value });
    this.searchLater(event.currentTarget.value);
  };

  onSubmit = (event) => {
    event.preventDefault();
    this.searchLater.cancel();
    this.search(this.state.input);
  };

  render({ id, label, placeholder }, { input }) {
    return html`
      <form role="search" onSubmit=${this.onSubmit}>
        <label for=${id}>${label}</label>
        <input id=${id} type="search" maxlength="128" autocomplete="off" value=${input}
          placeholder=${placeholder} onInput=${this.onInput} />
      </form>
    `;
  }
}
