// Copying text for the person: through the clipboard API when the page may
// use it, else by selecting `element`'s text so that they can copy it by
// hand (an insecure origin has no clipboard access). Resolves to whether
// the text reached the clipboard.
export async function copyText(text, element) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (element) {
      const range = document.createRange();
      range.selectNodeContents(element);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    return false;
  }
}
