
#compdef cf-buildlogs

_cf_buildlogs_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _CF_BUILDLOGS_COMPLETE=complete_zsh cf-buildlogs)
}

compdef _cf_buildlogs_completion cf-buildlogs

