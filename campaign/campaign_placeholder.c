/* placeholder: replaced by the built-in campaign */
