// The invitation run's page, kept current without reloading it: every two seconds it fetches
// the page again (the server renders the figures, so they read the same as without this
// script, which refreshes the whole page instead) and swaps in the progress part. Once the
// run has ended the fetched page has no part to poll, and the page is loaded again, whole.
const region = document.querySelector("#run-progress[data-poll]")

async function poll() {
  try {
    const response = await fetch(region.dataset.poll, { credentials: "same-origin" })
    if (response.ok) {
      const page = new DOMParser().parseFromString(await response.text(), "text/html")
      const fresh = page.querySelector("#run-progress")
      if (!fresh || !fresh.hasAttribute("data-poll")) {
        window.location.reload()
        return
      }
      region.replaceChildren(...fresh.childNodes)
    }
  } catch {
    // A lost answer: the next poll tries again.
  }
  window.setTimeout(poll, 2000)
}

if (region) window.setTimeout(poll, 2000)
