"""The scopes a developer app can hold. Other domains add theirs here, one line each."""

SCOPES: dict[str, str] = {
    "nearby:read": "Discover objects near a point",
    "placements:write": "Create, edit and withdraw the owner's placements",
    "geofences:write": "Create and edit the owner's geofences",
}
