// The base of the pages whose content is one query chosen by the URL (the
// audit log, the roles list, a role's holders): they load when shown and
// whenever the URL's parameters change, and only the answer to the latest
// request is shown, so a slow answer never replaces a newer one.
import { Component } from '../ui.js';

export class UrlPage extends Component {
  request = 0;

  componentDidMount() {
    this.load();
  }

  componentDidUpdate(previous) {
    if (this.changed(previous)) {
      this.load();
    }
  }

  componentWillUnmount() {
    // Answers still on their way are dropped.
    this.request += 1;
  }

  /// Whether the page must load again after these props; pages with more
  /// inputs than the URL extend it.
  changed(previous) {
    return previous.params.toString() !== this.props.params.toString();
  }

  /// Marks the page loading, runs `send()`, then calls `onData` with its
  /// answer or `onError` with its error, unless a newer load began meanwhile.
  async fetchLatest(send, onData, onError = (error) => this.setState({ error, loading: false })) {
    const request = ++this.request;
    this.setState({ loading: true, error: null });
    try {
      const data = await send();
      if (request === this.request) {
        onData(data);
      }
    } catch (error) {
      if (request === this.request) {
        onError(error);
      }
    }
  }
}
