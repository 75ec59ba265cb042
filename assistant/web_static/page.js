() => {
  // Clicking a citation marker, in the chat or the disagreement panel, brings its passage into view.
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a.cite');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const n = link.dataset.cite || link.getAttribute('href').replace('#cite-', '');
    const tab = [...document.querySelectorAll('button[role="tab"]')].find((b) => b.textContent.trim() === 'Sources');
    if (tab && tab.getAttribute('aria-selected') !== 'true') tab.click();
    setTimeout(() => {
      const target = document.getElementById('src-' + n);
      if (!target) return;
      document.querySelectorAll('.src.hl').forEach((el) => el.classList.remove('hl'));
      target.classList.add('hl');
      target.scrollIntoView({ behavior: 'smooth', block: 'center' });
    }, 60);
  }, true);
  // Clicking a cell of the story map opens the passage it cites (under the map).
  document.addEventListener('click', (event) => {
    const cell = event.target.closest('a.map-cell');
    if (!cell) return;
    event.preventDefault();
    const target = document.getElementById('mapsrc-' + cell.dataset.cite);
    if (!target) return;
    document.querySelectorAll('.map-passage.hl').forEach((el) => el.classList.remove('hl'));
    target.classList.add('hl');
    target.scrollIntoView({ behavior: 'smooth', block: 'center' });
  }, true);
}
