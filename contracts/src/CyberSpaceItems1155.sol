// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {ERC1155URIStorage} from "@openzeppelin/contracts/token/ERC1155/extensions/ERC1155URIStorage.sol";

/// @title CyberSpace stackable items (potions, keys, event badges): many copies per token id.
/// @notice The game picks token ids; each id's metadata URI is fixed by its first mint that gives
///         one, so an item's name and image cannot change under the players who hold it.
/// @dev Minting is limited to `MINTER_ROLE` (the game's service wallet).
contract CyberSpaceItems1155 is ERC1155URIStorage, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice A mint tried to give `id` a URI different from the one it already has.
    error URIAlreadySet(uint256 id);
    /// @notice `mintBatch` was called with arrays of different lengths.
    error LengthMismatch();

    /// @param admin Gets the admin role (grants and revokes minters) and the minter role.
    constructor(address admin) ERC1155("") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @notice Mints `amount` copies of `id` to `to`; a non-empty `tokenURI` sets the id's metadata.
    function mint(
        address to,
        uint256 id,
        uint256 amount,
        string calldata tokenURI
    ) external onlyRole(MINTER_ROLE) {
        _fixURI(id, tokenURI);
        _mint(to, id, amount, "");
    }

    /// @notice Mints several ids at once (one `TransferBatch` event); `tokenURIs[i]` belongs to `ids[i]`.
    function mintBatch(
        address to,
        uint256[] calldata ids,
        uint256[] calldata amounts,
        string[] calldata tokenURIs
    ) external onlyRole(MINTER_ROLE) {
        if (ids.length != tokenURIs.length) revert LengthMismatch();
        for (uint256 i = 0; i < ids.length; ++i) {
            _fixURI(ids[i], tokenURIs[i]);
        }
        // ERC1155 itself checks ids.length == amounts.length.
        _mintBatch(to, ids, amounts, "");
    }

    function supportsInterface(bytes4 interfaceId) public view override(ERC1155, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    /// @dev Empty means "keep what is there"; the same URI again is a no-op, a different one reverts.
    function _fixURI(uint256 id, string calldata tokenURI) private {
        if (bytes(tokenURI).length == 0) return;
        string memory current = uri(id);
        if (bytes(current).length == 0) {
            _setURI(id, tokenURI);
        } else if (keccak256(bytes(current)) != keccak256(bytes(tokenURI))) {
            revert URIAlreadySet(id);
        }
    }
}
