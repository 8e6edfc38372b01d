// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

/// @title CyberSpace unique items (weapons, artefacts, trophies) that players place and claim.
/// @notice Token ids are assigned by the contract, counting up from 1, so the off-chain registry
///         learns a new item's id from the `Transfer` event of its mint; 0 never names a token.
/// @dev Minting is limited to `MINTER_ROLE` (the game's service wallet); everything else is plain
///      ERC-721, so players trade with any wallet or marketplace.
contract CyberSpaceItems721 is ERC721URIStorage, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    uint256 private _nextTokenId = 1;

    /// @param admin Gets the admin role (grants and revokes minters) and the minter role.
    constructor(address admin) ERC721("CyberSpace Items", "CSI") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @notice Mints the next token id to `to` with metadata at `uri` and returns the id.
    /// @dev `_safeMint` calls `onERC721Received` when `to` is a contract, so items cannot be
    ///      minted into a contract that would lock them.
    function safeMint(address to, string calldata uri) external onlyRole(MINTER_ROLE) returns (uint256) {
        uint256 tokenId = _nextTokenId++;
        _safeMint(to, tokenId);
        _setTokenURI(tokenId, uri);
        return tokenId;
    }

    /// @notice The id the next `safeMint` will assign.
    function nextTokenId() external view returns (uint256) {
        return _nextTokenId;
    }

    function supportsInterface(
        bytes4 interfaceId
    ) public view override(ERC721URIStorage, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
