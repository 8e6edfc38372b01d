"""Trading refusals, each with its own code."""

from app.core.errors import Conflict, Forbidden, NotFound


class ListingNotFound(NotFound):
    code = "listing_not_found"


class OfferNotFound(NotFound):
    code = "offer_not_found"


class NotNftOwner(Forbidden):
    code = "not_owner"


class OwnListing(Forbidden):
    code = "own_listing"


class AlreadyListed(Conflict):
    code = "already_listed"


class NftPlaced(Conflict):
    code = "nft_placed"


class ListingNotOpen(Conflict):
    code = "listing_not_open"


class OfferNotOpen(Conflict):
    code = "offer_not_open"


class OfferExists(Conflict):
    code = "offer_exists"


class TooManyOffers(Conflict):
    code = "too_many_offers"


class WalletRequired(Conflict):
    code = "wallet_required"


class SellerNoLongerOwns(Conflict):
    code = "seller_no_longer_owns"
