
_cf_buildlogs_completion() {
    local IFS=$'
'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _CF_BUILDLOGS_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _cf_buildlogs_completion cf-buildlogs

