// The browser's time zone in the cookie `tz`, so pages show times in it
// (core.timezones: a signed-in person's own setting comes first; an unknown name is ignored).
(() => {
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return;
  }
  if (!/^[A-Za-z0-9_+\-/]{1,64}$/.test(zone)) return;
  const current = document.cookie.match(/(?:^|;\s*)tz=([^;]*)/);
  if (current && current[1] === zone) return;
  document.cookie = `tz=${zone}; path=/; max-age=31536000; SameSite=Lax`;
})();
