/* placeholder: replaced by the KVM executor */
