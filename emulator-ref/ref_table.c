/* placeholder: replaced by the semantics table */
