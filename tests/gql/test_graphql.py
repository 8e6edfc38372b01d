"""POST /graphql: the seed's query exactly, nearby/inventory/placements through the same
services as REST, errors as GraphQL error entries (never a 500), and the cost limits."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.nfts.component import NftComponent
from app.resources import Resources
from tests.claims.fixtures import (
    MARIENPLATZ,
    mint_registered,
    placed_in_custody,
    player,
)

SEED_QUERY = 'query { getNFT(id: "nft-123") { owner, location } }'


async def _gql(client: AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_seed_query_answers_exactly(
    client: AsyncClient, session: AsyncSession, nfts: NftComponent, resources: Resources
) -> None:
    owner = await player(session, username="PlayerOne")
    await placed_in_custody(
        resources=resources, session=session, nfts=nfts, placer=owner, nft_id="nft-123"
    )

    body = await _gql(client, SEED_QUERY)

    assert body == {"data": {"getNFT": {"owner": "PlayerOne", "location": "Munich, Germany"}}}
    # Sibling fields resolve concurrently over one session (serialised by the context's lock).
    many = await _gql(
        client,
        'query { a: getNFT(id: "nft-123") { owner location placement { location } } '
        'b: getNFT(id: "nft-123") { ownerAddress location } c: getNFT(id: "nope") { id } }',
    )
    assert many["data"]["a"]["placement"] == {"location": "Munich, Germany"}
    assert many["data"]["b"]["location"] == "Munich, Germany"
    assert many["data"]["c"] is None
    assert [e["path"] for e in many["errors"]] == [["c"]]


async def test_location_is_null_when_not_placed(
    client: AsyncClient, session: AsyncSession, nfts: NftComponent
) -> None:
    owner = await player(session)
    chain = await nfts.chain()
    nft_id = await mint_registered(session, chain, to=chain.service_address, custody_for=owner)
    await nfts.indexer.index_now()

    body = await _gql(
        client,
        "query($id: ID!) { getNFT(id: $id) { id name owner location placement { id } tokenId } }",
        id=nft_id,
    )

    nft = body["data"]["getNFT"]
    assert (nft["owner"], nft["location"], nft["placement"]) == (owner.username, None, None)
    assert nft["id"] == nft_id
    assert nft["tokenId"].isdigit()


async def test_unknown_id_is_null_with_an_error_entry(client: AsyncClient) -> None:
    body = await _gql(client, 'query { getNFT(id: "nft-nope") { owner location } }')

    assert body["data"] == {"getNFT": None}
    [error] = body["errors"]
    assert error["path"] == ["getNFT"]
    assert error["extensions"]["code"] == "nft_not_found"
    assert "nft-nope" in error["message"]


async def test_bad_input_and_bad_syntax_are_errors_not_500s(client: AsyncClient) -> None:
    body = await _gql(client, "query { nearbyNFTs(lat: 95, lng: 0) { items { nftId } } }")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "invalid_coordinate"
    broken = await client.post("/graphql", json={"query": "query { getNFT(id: "})
    assert broken.status_code == 200
    assert broken.json()["errors"]
    not_json = await client.post(
        "/graphql", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert not_json.json()["error"]["code"] == "bad_request"
    unknown = await _gql(client, 'query { getNFT(id: "x") { secret } }')
    assert "secret" in unknown["errors"][0]["message"]


async def test_nearby_matches_rest(
    client: AsyncClient, session: AsyncSession, nfts: NftComponent, resources: Resources
) -> None:
    placer = await player(session)
    nft_id = await placed_in_custody(resources=resources, session=session, nfts=nfts, placer=placer)
    params = {"lat": MARIENPLATZ[0] + 0.001, "lng": MARIENPLATZ[1], "radius_m": 500.0}
    rest = (await client.get("/api/nfts/nearby", params=params)).json()

    body = await _gql(
        client,
        """query($lat: Float!, $lng: Float!, $r: Float) {
             nearbyNFTs(lat: $lat, lng: $lng, radiusM: $r) {
               items { nftId distanceM bearingDeg placementId nft { owner location } }
               nextCursor } }""",
        lat=params["lat"],
        lng=params["lng"],
        r=params["radius_m"],
    )

    items = body["data"]["nearbyNFTs"]["items"]
    assert [(i["nftId"], i["distanceM"], i["placementId"]) for i in items] == [
        (i["nft_id"], i["distance_m"], i["placement_id"]) for i in rest["items"]
    ]
    mine = next(i for i in items if i["nftId"] == nft_id)
    assert mine["nft"] == {"owner": placer.username, "location": "Munich, Germany"}
    assert 110 < mine["distanceM"] < 112


async def test_player_inventory_and_placements(
    client: AsyncClient, session: AsyncSession, nfts: NftComponent, resources: Resources
) -> None:
    owner = await player(session)
    placed = await placed_in_custody(resources=resources, session=session, nfts=nfts, placer=owner)
    chain = await nfts.chain()
    kept = await mint_registered(session, chain, to=chain.service_address, custody_for=owner)
    await nfts.indexer.index_now()
    rest = (await client.get(f"/api/users/{owner.username}/nfts")).json()

    body = await _gql(
        client,
        """query($u: String!) {
             player(username: $u) {
               username
               inventory { placed placementId nft { id } }
               placements { id nftId lat lng claimRadiusM location } }
             inventory(username: $u) { nft { id } } }""",
        u=owner.username,
    )

    data = body["data"]
    got = {i["nft"]["id"]: (i["placed"], i["placementId"]) for i in data["player"]["inventory"]}
    assert got == {i["id"]: (i["placed"], i["placement_id"]) for i in rest["items"]}
    assert got[kept] == (False, None)
    assert got[placed][0] is True
    [placement] = data["player"]["placements"]
    assert (placement["nftId"], placement["location"]) == (placed, "Munich, Germany")
    assert placement["id"] == got[placed][1]
    assert sorted(i["nft"]["id"] for i in data["inventory"]) == sorted(got)
    missing = await _gql(client, 'query { player(username: "nobody_here") { username } }')
    assert missing["data"] == {"player": None}
    assert missing["errors"][0]["extensions"]["code"] == "not_found"


async def test_depth_alias_and_token_limits(app: FastAPI, client: AsyncClient) -> None:
    resources: Resources = app.state.resources
    resources.settings = resources.settings.model_copy(
        update={"graphql_max_depth": 3, "graphql_max_aliases": 2, "graphql_max_tokens": 100}
    )
    deep = await _gql(
        client, "query { nearbyNFTs(lat: 0, lng: 0) { items { nft { placement { id } } } } }"
    )
    assert deep["data"] is None
    assert "exceeds maximum operation depth" in deep["errors"][0]["message"]
    aliases = " ".join(f'a{i}: getNFT(id: "x{i}") {{ id }}' for i in range(3))
    many = await _gql(client, f"query {{ {aliases} }}")
    assert many["data"] is None
    assert "aliases" in many["errors"][0]["message"]
    long = "query { " + " ".join(["__typename"] * 120) + " }"
    huge = await _gql(client, long)
    assert huge["data"] is None
    assert "token" in huge["errors"][0]["message"].lower()


async def test_graphiql_page(client: AsyncClient, app: FastAPI) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    resources: Resources = app.state.resources
    resources.settings = resources.settings.model_copy(update={"graphql_ide": False})
    hidden = await client.get("/graphql", headers={"Accept": "text/html"})
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "not_found"


def test_unexpected_errors_are_masked() -> None:
    from graphql import GraphQLError

    from app.gql.extensions import shape_error

    leaked = GraphQLError(
        "connection to 10.0.0.5 refused", path=["getNFT"], original_error=RuntimeError("x")
    )
    masked = shape_error(leaked)
    assert masked.message == "Internal server error"
    assert masked.extensions == {"code": "internal_error"}
    assert masked.path == ["getNFT"]
