"""Page actions shared by the browser tests: log in, map coordinates <-> screen pixels."""

from playwright.async_api import Page


async def log_in(page: Page, path: str, username: str, password: str) -> None:
    await page.goto(path)
    await page.fill("#login-form input[name=username]", username)
    await page.fill("#login-form input[name=password]", password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#app:not([hidden])")
    await page.wait_for_function(
        "name => document.getElementById('whoami').textContent === name", arg=username
    )


async def screen_point(page: Page, handle: str, lat: float, lng: float) -> tuple[float, float]:
    """Page pixel of (lat, lng) on the Leaflet map `window[handle].map`."""
    point = await page.evaluate(
        """([handle, lat, lng]) => {
            const map = window[handle].map;
            const p = map.latLngToContainerPoint([lat, lng]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        [handle, lat, lng],
    )
    return float(point[0]), float(point[1])


async def wait_for_handle(page: Page, handle: str) -> None:
    await page.wait_for_function(f"() => window.{handle} !== undefined")
