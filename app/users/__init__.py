"""Users: accounts, profiles, roles and linked Ethereum wallets."""
