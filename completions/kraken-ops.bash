_kraken_ops_completion() {
    local IFS=$'
'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _KRAKEN_OPS_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _kraken_ops_completion kraken-ops
